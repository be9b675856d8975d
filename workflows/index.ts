/** Every workflow type the worker serves; one workflow per file. */
export * from './process-image-workflow';
export * from './daily-sales-report-workflow';
export * from './etl-fan-out-workflow';
export * from './etl-source-workflow';
