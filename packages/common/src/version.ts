/** The product version every component reports in hellos, stats and --help. */
export const VERSION = '0.1.0';
