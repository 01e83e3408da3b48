/*
 * report_pdf.c - `parkstat report --format pdf`: the HTML bulletin printed to
 * A4 by headless Chromium, an optional runtime dependency (Debian
 * `chromium`; $PARKSTAT_CHROMIUM names another binary). The page's own CSS
 * (@page A4, margins, figures not cut by a page break) sets the layout.
 *
 * Everything happens in a private temporary directory ($TMPDIR, else /tmp):
 * the HTML, Chromium's profile and its PDF. The PDF is then copied into a
 * temporary file next to the output and renamed over it, so the output is
 * the whole PDF or is left as it was; the directory is removed in any case.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <dirent.h>

#include "cli/report_priv.h"

#define PATH_SIZE        4096
#define CHROMIUM_TIMEOUT 180 /* s: a print that takes longer is stopped */

static const char *const chromium_names[] = {"chromium", "chromium-browser", "google-chrome",
                                             "google-chrome-stable"};

/* The executable named name (a path, or a name looked up in $PATH) in buf. */
static int find_exec(const char *name, char *buf, size_t size)
{
    const char *path = getenv("PATH");

    if (strchr(name, '/')) {
        snprintf(buf, size, "%s", name);
        return access(buf, X_OK) == 0 ? 0 : -ENOENT;
    }
    while (path && *path) {
        size_t len = strcspn(path, ":");
        if ((size_t)snprintf(buf, size, "%.*s/%s", (int)len, len ? path : ".", name) < size &&
            access(buf, X_OK) == 0)
            return 0;
        path += len + (path[len] == ':');
    }
    return -ENOENT;
}

/* Chromium's path in buf: $PARKSTAT_CHROMIUM, else the first of
 * chromium_names in $PATH. Returns 0 or -ENOENT, printed. */
static int find_chromium(char *buf, size_t size)
{
    const char *env = getenv("PARKSTAT_CHROMIUM");

    if (env && *env) {
        if (find_exec(env, buf, size) == 0)
            return 0;
        fprintf(stderr, "parkstat report: --format pdf: PARKSTAT_CHROMIUM=%s: no such executable\n",
                env);
        return -ENOENT;
    }
    for (size_t i = 0; i < sizeof(chromium_names) / sizeof(chromium_names[0]); i++)
        if (find_exec(chromium_names[i], buf, size) == 0)
            return 0;
    fputs("parkstat report: --format pdf prints the bulletin with headless Chromium, and none was "
          "found in PATH (chromium, chromium-browser, google-chrome): install it (Debian: "
          "apt-get install chromium) or name it with PARKSTAT_CHROMIUM; --format html writes "
          "the same bulletin for a browser to print\n",
          stderr);
    return -ENOENT;
}

/* Chromium is there (see report_priv.h). */
int report_pdf_check(void)
{
    char path[PATH_SIZE];
    return find_chromium(path, sizeof(path));
}

/* Removes the directory tree at dirfd/name (Chromium's profile). */
static void remove_tree(int dirfd, const char *name)
{
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    const struct dirent *e;

    if (d) {
        while ((e = readdir(d))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            if (unlinkat(fd, e->d_name, 0) < 0 && (errno == EISDIR || errno == EPERM))
                remove_tree(fd, e->d_name);
        }
        closedir(d);
    } else if (fd >= 0) {
        close(fd);
    }
    unlinkat(dirfd, name, AT_REMOVEDIR);
}

/* "file://" and path, percent-encoded but for unreserved bytes and '/'. */
static void file_url(char *buf, size_t size, const char *path)
{
    size_t n = (size_t)snprintf(buf, size, "file://");
    for (const unsigned char *p = (const unsigned char *)path; *p && n + 4 < size; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("/-._~", *p))
            buf[n++] = (char)*p;
        else
            n += (size_t)snprintf(buf + n, size - n, "%%%02X", *p);
    }
    buf[n] = '\0';
}

/* The last line of the file at path in buf ("" when none). */
static void last_line(const char *path, char *buf, size_t size)
{
    char line[1024];
    FILE *f = fopen(path, "r");

    buf[0] = '\0';
    while (f && fgets(line, sizeof(line), f))
        if (line[0] != '\n')
            snprintf(buf, size, "%.*s", (int)strcspn(line, "\n"), line);
    if (f)
        fclose(f);
}

/* Runs argv (its own process group, output to log) and waits at most
 * CHROMIUM_TIMEOUT s. Returns its exit status, or -ETIMEDOUT (the group
 * killed), or a negative errno when it could not be started. */
static int run(char *const argv[], const char *log)
{
    struct timespec tick = {0, 100000000L};
    int status;
    pid_t pid = fork();

    if (pid < 0)
        return -errno;
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY), fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        setpgid(0, 0);
        if (in < 0 || fd < 0 || dup2(in, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
            _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    setpgid(pid, pid);
    for (long waited = 0;; waited++) {
        pid_t got = waitpid(pid, &status, WNOHANG);
        if (got == pid)
            break;
        if (got < 0 && errno != EINTR)
            return -errno;
        if (waited >= CHROMIUM_TIMEOUT * 10L) {
            kill(-pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -ETIMEDOUT;
        }
        nanosleep(&tick, NULL);
    }
    kill(-pid, SIGKILL); /* helpers it left behind, if any */
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Copies the file at from to out. Returns 0 or -errno. */
static int copy_to(const char *from, FILE *out)
{
    char buf[65536];
    size_t n;
    FILE *in = fopen(from, "rb");
    int rc = 0;

    if (!in)
        return -errno;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        if (fwrite(buf, 1, n, out) != n) {
            rc = -(errno ? errno : EIO);
            break;
        }
    if (rc == 0 && ferror(in))
        rc = -EIO;
    fclose(in);
    return rc;
}

/* The PDF at pdf into path (NULL: standard output): a temporary file next
 * to path, renamed over it. Returns 0 or -EIO, printed. */
static int deliver(const char *pdf, const char *path)
{
    char tmp[PATH_SIZE];
    FILE *out;
    int fd, rc;

    if (!path) {
        if ((rc = copy_to(pdf, stdout)) == 0 && fflush(stdout) != 0)
            rc = -errno;
        if (rc < 0)
            fprintf(stderr, "parkstat report: standard output: %s\n", strerror(-rc));
        return rc < 0 ? -EIO : 0;
    }
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp)) {
        fprintf(stderr, "parkstat report: %s: %s\n", path, strerror(ENAMETOOLONG));
        return -EIO;
    }
    if ((fd = mkstemp(tmp)) < 0 || !(out = fdopen(fd, "wb"))) {
        fprintf(stderr, "parkstat report: %s: %s\n", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        return -EIO;
    }
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask); /* as fopen would create it */
    rc = copy_to(pdf, out);
    if (fclose(out) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -errno;
    if (rc < 0) {
        fprintf(stderr, "parkstat report: %s: %s\n", path, strerror(-rc));
        unlink(tmp);
        return -EIO;
    }
    return 0;
}

/* 1 when the file at path starts as a PDF does. */
static int is_pdf(const char *path)
{
    char head[5] = "";
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(head, 1, sizeof(head), f) : 0;

    if (f)
        fclose(f);
    return n == sizeof(head) && memcmp(head, "%PDF-", 5) == 0;
}

/* Prints the bulletin in dir (html written, pdf to come) with chromium. */
static int print_pdf(const char *chromium, const char *dir, const char *html, const char *pdf)
{
    char url[PATH_SIZE * 3], out_arg[PATH_SIZE + 32], profile_arg[PATH_SIZE + 32],
        log[PATH_SIZE + 16], why[512];
    int rc;

    file_url(url, sizeof(url), html);
    snprintf(out_arg, sizeof(out_arg), "--print-to-pdf=%s", pdf);
    snprintf(profile_arg, sizeof(profile_arg), "--user-data-dir=%s/profile", dir);
    snprintf(log, sizeof(log), "%s/chromium.log", dir);
    char *argv[] = {(char *)chromium,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-extensions",
                    "--disable-background-networking",
                    "--no-first-run",
                    "--no-default-browser-check",
                    "--hide-scrollbars",
                    "--no-pdf-header-footer",
                    "--print-to-pdf-no-header",
                    profile_arg,
                    out_arg,
                    url,
                    NULL};
    rc = run(argv, log);
    if (rc == 0 && is_pdf(pdf))
        return 0;
    last_line(log, why, sizeof(why));
    if (rc == -ETIMEDOUT)
        fprintf(stderr, "parkstat report: %s: no PDF after %d s, stopped\n", chromium,
                CHROMIUM_TIMEOUT);
    else if (rc < 0)
        fprintf(stderr, "parkstat report: %s: %s\n", chromium, strerror(-rc));
    else
        fprintf(stderr, "parkstat report: %s printed no PDF (exit status %d)%s%s\n", chromium, rc,
                why[0] ? ": " : "", why);
    return -EIO;
}

/* The bulletin as PDF (see report_priv.h). */
int report_write_pdf(const struct report *r, const char *path)
{
    char chromium[PATH_SIZE], dir[PATH_SIZE], html[PATH_SIZE + 16], pdf[PATH_SIZE + 16];
    const char *tmpdir = getenv("TMPDIR");
    FILE *out;
    int rc;

    if (find_chromium(chromium, sizeof(chromium)) < 0)
        return -ENOENT;
    snprintf(dir, sizeof(dir), "%s/parkstat-report-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "parkstat report: %s: %s\n", dir, strerror(errno));
        return -EIO;
    }
    snprintf(html, sizeof(html), "%s/bulletin.html", dir);
    snprintf(pdf, sizeof(pdf), "%s/bulletin.pdf", dir);
    if (!(out = fopen(html, "w"))) {
        rc = -errno;
    } else {
        rc = report_write_html(r, out);
        if (fclose(out) != 0 && rc == 0)
            rc = -errno;
    }
    if (rc < 0)
        fprintf(stderr, "parkstat report: %s: %s\n", html, strerror(-rc));
    else if ((rc = print_pdf(chromium, dir, html, pdf)) == 0)
        rc = deliver(pdf, path);
    remove_tree(AT_FDCWD, dir);
    return rc < 0 ? -EIO : 0;
}
