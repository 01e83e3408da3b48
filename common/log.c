/*
 * log.c - stderr logging with syslog priority prefixes (see log.h).
 */
#include "common/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static enum log_level max_level = LOG_LEVEL_INFO;

static const struct {
    const char *name;
    enum log_level level;
} level_names[] = {
    {"err", LOG_LEVEL_ERR},       {"error", LOG_LEVEL_ERR}, {"warning", LOG_LEVEL_WARNING},
    {"notice", LOG_LEVEL_NOTICE}, {"info", LOG_LEVEL_INFO}, {"debug", LOG_LEVEL_DEBUG},
};

void log_set_level(enum log_level level)
{
    max_level = level;
}

int log_level_parse(const char *text, enum log_level *out)
{
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcmp(text, level_names[i].name) == 0) {
            *out = level_names[i].level;
            return 0;
        }
    }
    return -EINVAL;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    int n;

    if (level > max_level)
        return;
    n = snprintf(line, sizeof(line), "<%d>", (int)level);
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    /* One fputs per message keeps lines whole when several threads log. */
    fprintf(stderr, "%s\n", line);
}
