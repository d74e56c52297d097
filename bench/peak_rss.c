/*
 * peak_rss: run a command, then print its wall time and peak resident set size, for bench/run.sh.
 *
 *   peak_rss RESULT_FILE CMD [ARG...]
 *
 * The command inherits stdin/stdout/stderr. RESULT_FILE gets "seconds maxrss_kib exit_status cpu_seconds":
 * the wall time from fork to exit (CLOCK_MONOTONIC), ru_maxrss from wait4 (which counts file pages the
 * command had mapped), and user + system CPU time (which other load on a shared machine inflates less
 * than wall time). Exits with the command's status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: peak_rss RESULT_FILE CMD [ARG...]\n");
        return 64;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        perror(argv[2]);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) {
        perror("wait4");
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    FILE *f = fopen(argv[1], "w");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                 (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    fprintf(f, "%.6f %ld %d %.6f\n", (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
            ru.ru_maxrss, code, cpu);
    fclose(f);
    return code;
}
