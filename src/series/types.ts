/** Metric data independent of any wire format. */

export type MetricType = 'counter' | 'gauge';

export interface Label {
  readonly name: string;
  readonly value: string;
}

/** One sample of a family: its labels (without `__name__`, sorted by name) and value. */
export interface Sample {
  readonly labels: readonly Label[];
  readonly value: number;
}

/** A metric family as in the text exposition format: name, HELP, TYPE and samples. */
export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly samples: readonly Sample[];
}
