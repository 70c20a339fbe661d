/** A query an export cannot run or flatten, with what to change (the CLI prints it; `/export.csv` answers it as 400). */
export class ExportShapeError extends Error {}
