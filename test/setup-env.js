// Keep test output readable: structured logs are asserted on where they matter, not printed.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_DEV ??= 'true';
