// The explorer (`ecg-tlc serve`): HTTP API over an Explainer, uploads, the dataset catalog.
export {
  startExplorer,
  createExplorerHandler,
  defaultWebDir,
  type ExplorerOptions,
  type ExplorerServer,
} from "./app.js";
export {
  COMBINED,
  createTlcExplainer,
  explainerBlocks,
  selectBlock,
  type BlockView,
  type Explainer,
  type ExplorerEntry,
  type BrowsedDataset,
  type ExplorerGradcam,
} from "./explainer.js";
export {
  RecordCatalog,
  type ExplainedRecord,
  type RecordPage,
  type RecordQuery,
  type RecordSummary,
} from "./catalog.js";
export { PromiseLru } from "./lru.js";
export { EngineQueue } from "./queue.js";
export { openTlcExplainer, serve, type ServeOptions } from "./serve.js";
export { HttpError, statusOf } from "./http-error.js";
export {
  DEFAULT_UPLOAD_LIMIT,
  parseCsvRecord,
  parseMultipart,
  readBody,
  type Upload,
  type UploadedFile,
} from "./upload.js";
export { readWfdbUpload, rewriteHeader, type RecordReader } from "./wfdb-upload.js";
export { recordView, type GradcamJson, type RecordView, type SignalJson } from "./views.js";
