/*
 * The benchmark's floor: the cost of only READING what process-exporter reads, with no parsing,
 * no naming and no exposition. One cycle per line on stdin; after each cycle it prints
 * "<pids> <files> <bytes>\n" and flushes, so the benchmark can drive it in alternation with the
 * exporters and measure its CPU from /proc/<pid>/stat exactly as it measures theirs.
 *
 * Per process, every cycle: stat, status, io, limits, smaps_rollup, cmdline, cgroup, wchan, the fd
 * listing (entries counted), and for every entry of task/: stat, status, io. Each file is opened,
 * read into one static buffer and closed; a read shorter than asked for ends the file (procfs
 * single-record files are served whole by the first read), as procpush's reader does, so the floor
 * makes no more system calls than it must. Unreadable files are skipped silently.
 *
 * Built by the benchmark with `gcc -O2`; usage: floor [procfs-root] (default /proc).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char buf[1 << 20];
static long files;
static long bytes;

static void read_file(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return;
  size_t total = 0;
  for (;;) {
    size_t want = sizeof buf - total;
    if (want == 0) total = 0, want = sizeof buf; /* keep reading (smaps-sized files), overwrite */
    ssize_t n = read(fd, buf + total, want);
    if (n <= 0) break;
    total += (size_t)n;
    bytes += n;
    if ((size_t)n < want) break;
  }
  close(fd);
  files++;
}

static int numeric(const char *s) {
  if (*s == 0) return 0;
  for (; *s; s++)
    if (*s < '0' || *s > '9') return 0;
  return 1;
}

static long count_entries(const char *path) {
  DIR *d = opendir(path);
  if (d == NULL) return -1;
  long n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' && (e->d_name[1] == 0 || (e->d_name[1] == '.' && e->d_name[2] == 0))) continue;
    n++;
  }
  closedir(d);
  return n;
}

static const char *const PROC_FILES[] = {"stat", "status", "io", "limits", "smaps_rollup", "cmdline", "cgroup", "wchan"};
static const char *const TASK_FILES[] = {"stat", "status", "io"};

static long cycle(const char *root) {
  char path[4096];
  long pids = 0;
  DIR *d = opendir(root);
  if (d == NULL) return -1;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (!numeric(e->d_name)) continue;
    pids++;
    for (size_t i = 0; i < sizeof PROC_FILES / sizeof PROC_FILES[0]; i++) {
      snprintf(path, sizeof path, "%s/%s/%s", root, e->d_name, PROC_FILES[i]);
      read_file(path);
    }
    snprintf(path, sizeof path, "%s/%s/fd", root, e->d_name);
    count_entries(path);
    snprintf(path, sizeof path, "%s/%s/task", root, e->d_name);
    DIR *t = opendir(path);
    if (t == NULL) continue;
    struct dirent *te;
    while ((te = readdir(t)) != NULL) {
      if (!numeric(te->d_name)) continue;
      for (size_t i = 0; i < sizeof TASK_FILES / sizeof TASK_FILES[0]; i++) {
        snprintf(path, sizeof path, "%s/%s/task/%s/%s", root, e->d_name, te->d_name, TASK_FILES[i]);
        read_file(path);
      }
    }
    closedir(t);
  }
  closedir(d);
  return pids;
}

int main(int argc, char **argv) {
  const char *root = argc > 1 ? argv[1] : "/proc";
  char line[256];
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (fgets(line, sizeof line, stdin) != NULL) {
    if (strncmp(line, "quit", 4) == 0) break;
    files = 0;
    bytes = 0;
    long pids = cycle(root);
    printf("%ld %ld %ld\n", pids, files, bytes);
  }
  return 0;
}
