/**
 * ecg-tlc: the library. Every public name is listed here, by layer, in the order data flows
 * (records -> signal -> model -> explanations -> evaluation -> figures, report, explorer);
 * anything not listed is internal and may change. Every CLI command is a thin wrapper over these.
 */

// Errors: every one a user can cause is one of these, with a one-line message.
export {
  EcgTlcError,
  EcgFormatError,
  NotFoundError,
  ParameterError,
  UsageError,
  ModelMismatchError,
  MissingDependencyError,
} from "./errors.js";

// Records, waves and annotations (signals lead-major: signal[lead * samples + i]).
export {
  STANDARD_LEADS,
  WAVE_LABELS,
  type EcgRecord,
  type Annotation,
  type Wave,
  type WaveType,
  type WaveLabel,
  type Landmark,
  type ClusterWaves,
} from "./types.js";

// io: WFDB records, headers and annotations; datasets; NumPy arrays.
export { readRecord, type ReadRecordOptions, type WfdbRecord } from "./io/record.js";
export { readRecordSegment, sliceRecord, type SegmentChoice } from "./io/segment.js";
export { RECORD_LIMITS } from "./io/limits.js";
export {
  readHeader,
  parseHeader,
  type WfdbHeader,
  type WfdbSignalSpec,
  type WfdbSegmentSpec,
} from "./io/header.js";
export { writeRecord, type WriteRecordOptions } from "./io/writer.js";
export {
  readAnnotations,
  writeAnnotations,
  readLudbWaves,
  type LudbWaves,
} from "./io/annotations.js";
export { openDataset, detectDataset } from "./io/datasets/index.js";
export type {
  Dataset,
  RecordSource,
  DatasetEntry,
  DatasetKind,
  OpenDatasetOptions,
} from "./io/datasets/types.js";
export { entriesInFolds } from "./io/datasets/folds.js";
export { PTBXL_SUPERCLASSES } from "./io/datasets/ptbxl.js";
export { CODE15_CLASSES } from "./io/datasets/code15.js";
export { readNpy, writeNpy, NpyWriter, type NpyData } from "./io/npy.js";

// signal: preprocessing, filters, resampling, leads, delineation, the synthetic generator.
export {
  preprocess,
  preparedToSource,
  sourceToPrepared,
  type Preprocessing,
  type PreparedSignal,
} from "./signal/preprocess.js";
export { butterSos, sosfiltfilt, type Sos, type FilterType } from "./signal/filter.js";
export { resamplePoly } from "./signal/resample.js";
export { canonicalLeadName, matchLeads, selectLeads } from "./signal/leads.js";
export { zscoreLeads } from "./signal/normalize.js";
export { windowSamples, checkWindow } from "./signal/window.js";
export {
  delineate,
  DEFAULT_DELINEATION_PARAMS,
  type Delineation,
  type DelineateOptions,
  type DelineationParams,
} from "./signal/delineate/index.js";
export { waveLabels, wavesFromAnnotations } from "./signal/waves.js";
export {
  synthesize,
  synthesizeOne,
  SYNTH_CLASSES,
  type SynthClass,
  type SynthOptions,
  type SyntheticEcg,
} from "./signal/synth.js";
export {
  writeSyntheticDataset,
  type SyntheticDatasetOptions,
  type SyntheticDatasetSummary,
} from "./signal/synth-dataset.js";
export { Random } from "./signal/random.js";

// model: the face every backend implements; presets; the libtorch backend (train, load, run).
export { MAX_BATCH, type ModelFace, type ForwardResult, type TapOutput } from "./model/face.js";
export {
  PRESETS,
  SUPERCLASSES,
  TAPS,
  getPreset,
  describeNetwork,
  type ModelConfig,
  type Preset,
  type PresetName,
  type TaskName,
} from "./model/presets.js";
export { LoadedModel } from "./model/libtorch/model.js";
export { loadModel } from "./model/load.js";
export { writeUntrainedModel, modelFingerprint } from "./model/folder.js";
export { setNumThreads, getNumThreads, engineConfig, type EngineConfig } from "./model/engine.js";
export { trainModel, TRAIN_DEFAULTS, type TrainOptions, type TrainSpec } from "./model/train.js";
export {
  trainOnDataset,
  crossValidate,
  evaluateOnDataset,
  predictBatches,
  describeOutputs,
  type TrainRunOptions,
} from "./model/run.js";

// Explanations: the one Explanation, and the rules every reader of one shares.
export {
  segmentsOf,
  stepOfSamples,
  tapToSamples,
  predictedLabels,
  decisionThresholds,
  isAgeModel,
  topClass,
  defaultGradcamTap,
  comparisonGradcamTap,
  DEFAULT_THRESHOLD,
  namedExplanation,
  type Explanation,
  type BlockExplanation,
  type Segment,
  type DecisionRule,
  type BoundExplainer,
  type Explains,
} from "./explain/explanation.js";
export { gradcamRecord, targetIndex, checkTap, type GradcamMap } from "./explain/gradcam.js";
export {
  LeafView,
  hasLeaves,
  leafExplanation,
  evaluationLevel,
  mergeLeaves,
  wavesOfLeaves,
  leavesOf,
  stateName,
  type Leaves,
  type TwoLevelExplainer,
} from "./explain/levels.js";

// TLC: fit on a dataset, bind to the model, explain any ECG; save and load.
export { Tlc, describeFeatures, type TwoLevelOptions } from "./tlc/tlc.js";
export { DEFAULT_STATE_POINTS, defaultStateTaps } from "./tlc/state-pass.js";
export {
  DEFAULT_STATES_PER_WAVE,
  DEFAULT_STATE_N_INIT,
  leafNames,
  leafOffsets,
  type StateLevel,
  type StateOptions,
} from "./tlc/states.js";
export { TlcExplainer, explainRecords, type WaveAssignments } from "./tlc/bound.js";
export {
  DEFAULT_K,
  DEFAULT_TAPS,
  VARIANCES,
  type TlcOptions,
  type TlcProgress,
  type Variance,
} from "./tlc/fit.js";
export type { TlcJson } from "./tlc/json.js";
export { heldOutVariance, type HeldOutVariance, type HeldOutInput } from "./tlc/variance.js";
export type { BlockWeights } from "./tlc/features.js";
export { exportFeatures, type FeatureExport } from "./tlc/export.js";
export {
  kmeans,
  kmeansAssign,
  MiniBatchKMeans,
  type KMeansOptions,
  type KMeansResult,
} from "./tlc/kmeans.js";
export { softAssign, type SoftAssignment } from "./tlc/assign.js";

// Evaluation: the whole evaluation, its analyses one by one, alignment, cluster names, metrics.
export { evaluate, type EvaluateOptions, type EvaluationResult } from "./eval/evaluate.js";
export {
  EvaluatedEcg,
  type EcgAnalysis,
  type EcgProbe,
  type EvalEntry,
} from "./eval/analyses/ecg.js";
export {
  UncertaintyAnalysis,
  leastStable,
  type UncertaintyResult,
} from "./eval/analyses/uncertainty.js";
export { PrototypeAnalysis, type PrototypesResult } from "./eval/analyses/prototypes.js";
export { DeletionImportance } from "./eval/analyses/deletion.js";
export { StabilityAnalysis, type StabilityResult } from "./eval/analyses/stability.js";
export { GradcamAnalysis, type GradcamResult } from "./eval/analyses/gradcam.js";
export {
  classificationSurrogates,
  ageSurrogate,
  type PerEcgTable,
} from "./eval/analyses/surrogates.js";
export { fidelityByK, rememberLastForward, type Bindable } from "./eval/analyses/by-k.js";
export {
  surrogateFidelity,
  regressionFidelity,
  type FidelityInput,
  type FidelityResult,
  type LabelScores,
  type RegressionFidelity,
} from "./eval/surrogate.js";
export {
  alignment,
  contingency,
  clusterWaveNames,
  nmi,
  purity,
  type AlignmentResult,
  type Table,
} from "./eval/alignment.js";
export {
  alignRecords,
  datasetRecordPaths,
  type AlignExplainer,
  type AlignReport,
} from "./eval/landmarks.js";
export { nameClusters, nameClustersOn, type NamingExplainer } from "./eval/cluster-waves.js";
export {
  nameStates,
  stateNames,
  leafEnrichment,
  MAX_RECORDS_FOR_STATES,
} from "./eval/state-names.js";
export { nameExplainer, type NamingOptions } from "./eval/name-explainer.js";
export {
  RandomForestClassifier,
  RandomForestRegressor,
  MultiLabelForest,
  type ForestOptions,
} from "./eval/forest.js";
export {
  accuracy,
  auroc,
  macroAuroc,
  f1,
  macroF1,
  mae,
  r2,
  pearson,
  meanStd,
} from "./eval/metrics.js";
export {
  scoreDelineation,
  validateDelineation,
  type DelineationScore,
  type Validation,
} from "./eval/delineation-score.js";
export { renderMarkdown, renderAlignment } from "./eval/report.js";
export { perEcgCsv } from "./eval/table.js";

// Figures (SVG strings; PNG through resvg).
export {
  renderEcgFigure,
  autoGain,
  type EcgFigureOptions,
  type FigureExplanation,
} from "./viz/ecg.js";
export {
  explanationFigure,
  writeExplanationFigure,
  clusterWavesOf,
  type ExplanationFigureOptions,
} from "./viz/explain-figure.js";
export {
  renderPrototypes,
  renderProportionsByClass,
  renderContingency,
  renderLabelCorrelation,
  renderClusterImportance,
} from "./viz/dataset.js";
export {
  renderEntropyByClassWave,
  renderFidelityVsK,
  renderGradcamVsEntropy,
} from "./viz/evaluation.js";
export { svgToPng, pngSize, type PngOptions } from "./viz/png.js";
export { CLUSTER_PALETTE, clusterColor } from "./viz/svg.js";

// The HTML report.
export { buildReport, type BuildReportOptions } from "./report/build.js";
export { writeReport, type WriteReportOptions } from "./report/write.js";
export { readComparison, withComparisons, type Comparison } from "./report/compare.js";

// The explorer: its HTTP API over an Explainer, and what it sends the page.
export { serve, openTlcExplainer, type ServeOptions } from "./server/serve.js";
export { startExplorer, type ExplorerOptions, type ExplorerServer } from "./server/app.js";
export {
  createTlcExplainer,
  selectBlock,
  COMBINED,
  type Explainer,
  type ExplorerEntry,
  type BlockView,
} from "./server/explainer.js";
export { recordView, type RecordView, type GradcamJson, type SignalJson } from "./server/views.js";

// Scale: a dataset pass in shards (explain, predict, fit and its state pass, features), merged;
// Slurm job arrays.
export { parseShard, shardEntries, type Shard } from "./scale/shard.js";
export { explainDataset, type ExplainDatasetOptions } from "./scale/explain.js";
export { predictDataset } from "./scale/predict.js";
export { writeFitShard, mergeFitShards } from "./scale/fit.js";
export { writeStateShard, mergeStateShards } from "./scale/fit-states.js";
export { exportFeaturesShard, mergeFeatureShards } from "./scale/features.js";
export { evaluateShard, mergeEvaluationShards } from "./scale/evaluate.js";
export { checkShards, mergeShards, type MergeReport } from "./scale/merge.js";
export { readManifest, type ShardManifest } from "./scale/output.js";
export {
  writeSlurmScripts,
  submitSlurm,
  type SlurmJob,
  type SlurmScripts,
  type SlurmOutcome,
} from "./scale/slurm.js";

// The main job end to end (`ecg-tlc pipeline`).
export { runPipeline, type PipelineOptions, type PipelineResult } from "./pipeline.js";
