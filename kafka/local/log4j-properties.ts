/**
 * log4j 1 (reload4j) configuration for the broker and the storage tool: everything to stderr,
 * which `up` sends to the broker log file, so one file holds the whole story of a run.
 */
export function log4jProperties(): string {
  return [
    "# written by facefleet kafka up",
    "log4j.rootLogger=INFO, stderr",
    "log4j.appender.stderr=org.apache.log4j.ConsoleAppender",
    "log4j.appender.stderr.Target=System.err",
    "log4j.appender.stderr.layout=org.apache.log4j.PatternLayout",
    "log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n",
    "log4j.logger.kafka.request.logger=WARN",
    "log4j.logger.kafka.log.LogCleaner=WARN",
    "log4j.logger.state.change.logger=WARN",
    "log4j.logger.org.apache.zookeeper=WARN",
    "",
  ].join("\n");
}
