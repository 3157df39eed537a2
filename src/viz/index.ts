/** Public API of the figures (SVG strings; PNG through resvg). */
export { escapeXml, CLUSTER_PALETTE, clusterColor } from "./svg.js";
export { renderEcgFigure, autoGain, type EcgFigureOptions, type FigureExplanation } from "./ecg.js";
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
  clusterWavesOf,
  writeFigureFiles,
  writeExplanationFigure,
  type ExplanationFigureOptions,
} from "./explain-figure.js";
