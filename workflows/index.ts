/** Every workflow type the worker serves; one workflow per file. */
