// Owns the daemon's entry point: parse the configuration, start, stop on signals, exit codes
// (0 clean stop, 1 failure at start, 2 usage).
import { loadConfig, ConfigError, HELP_TEXT } from "../daemon/config";
import { createLogger } from "../daemon/logger";
import { startDaemon } from "../daemon/lifecycle";
import { packageVersion } from "../daemon/package-info";

export async function main(argv: string[]): Promise<number> {
  let command;
  try {
    command = loadConfig(argv, process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`shadowd: ${error.message}\nTry 'shadowd --help'.\n`);
      return 2;
    }
    throw error;
  }
  if (command.kind === "help") {
    process.stdout.write(HELP_TEXT);
    return 0;
  }
  if (command.kind === "version") {
    process.stdout.write(`shadowd ${packageVersion()}\n`);
    return 0;
  }
  const logger = createLogger(command.config.logLevel);
  let daemon;
  try {
    daemon = await startDaemon(command.config, logger);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    logger.fatal({ err: message }, "shadowd cannot start");
    logger.flush();
    process.stderr.write(`shadowd: cannot start: ${message}\n`);
    return 1;
  }
  const running = daemon;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    // Repeated signals while stopping are absorbed: stop() is idempotent.
    process.on(signal, () => void running.stop(signal));
  }
  await running.stopped;
  logger.flush();
  return 0;
}
