/** Every workflow type the worker serves; one workflow per file. */
export * from './process-image-workflow';
