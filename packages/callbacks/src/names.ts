/** fastai's camel2snake: `CSVLogger` → `csv_logger`, `AverageMetric` → `average_metric`. */
export function camelToSnake(name: string): string {
  return name
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase();
}
