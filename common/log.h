/*
 * log.h - messages to stderr with syslog priority prefixes ("<3>error"), which
 * journald reads as the message's priority. The level is the one piece of
 * process-wide state (set once at start or reload).
 */
#ifndef PARKSTAT_LOG_H
#define PARKSTAT_LOG_H

enum log_level {
    LOG_LEVEL_ERR = 3,
    LOG_LEVEL_WARNING = 4,
    LOG_LEVEL_NOTICE = 5,
    LOG_LEVEL_INFO = 6,
    LOG_LEVEL_DEBUG = 7,
};

/* Sets the most verbose level written; messages above it are dropped. */
void log_set_level(enum log_level level);

/* Parses "err", "warning", "notice", "info", "debug". Returns 0 or -EINVAL. */
int log_level_parse(const char *text, enum log_level *out);

/* Writes "<N>" + the formatted message + "\n" to stderr. Never pass secrets. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)     log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_notice(...)  log_msg(LOG_LEVEL_NOTICE, __VA_ARGS__)
#define log_info(...)    log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)   log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
