/** Public API of the figures (SVG strings; PNG through resvg). */
export { escapeXml, CLUSTER_PALETTE, clusterColor } from "./svg.js";
// ExplanationView is also a server type name: the figure's input is exported as EcgFigureExplanation.
export { renderEcgFigure, autoGain, type EcgFigureOptions } from "./ecg.js";
export type { ExplanationView as EcgFigureExplanation } from "./ecg.js";
export {
  renderPrototypes,
  renderProportionsByClass,
  renderContingency,
  renderLabelCorrelation,
  renderClusterImportance,
  WAVE_COLORS,
  type Prototype,
} from "./dataset.js";
export {
  renderEntropyByClassWave,
  renderFidelityVsK,
  renderGradcamVsEntropy,
} from "./evaluation.js";
export { svgToPng, pngSize, type PngOptions } from "./png.js";
export {
  explanationFigure,
  gradcamPerSample,
  clusterWavesOf,
  writeFigureFiles,
  writeExplanationFigure,
  type FigureModel,
  type ExplanationFigureOptions,
} from "./explain-figure.js";
