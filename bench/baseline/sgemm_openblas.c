/* OpenBLAS sgemm timings: the GEMM baseline of bench/speed.ts (compiled by it with cc -O2 ... -lopenblas;
 * never linked into the addon). For each shape MxKxN it times C[M,N] = A[M,K] * B[N,K]^T (a Linear's
 * layout: B is the weight [out, in], transposed) and prints one JSON line with the median, the best and
 * the spread of `runs` calls after one warm-up. Threads: OPENBLAS_NUM_THREADS.
 *
 *   cc -O2 bench/baseline/sgemm_openblas.c -o /tmp/sgemm_openblas -lopenblas
 *   OPENBLAS_NUM_THREADS=2 /tmp/sgemm_openblas 5 2048x2048x2048 4096x320x320
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp(const void * a, const void * b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char ** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s RUNS MxKxN...\n", argv[0]);
        return 2;
    }
    int runs = atoi(argv[1]);
    if (runs < 1 || runs > 1000) runs = 5;
    for (int s = 2; s < argc; ++s) {
        long M, K, N;
        if (sscanf(argv[s], "%ldx%ldx%ld", &M, &K, &N) != 3 || M < 1 || K < 1 || N < 1) {
            fprintf(stderr, "bad shape %s (expected MxKxN)\n", argv[s]);
            return 2;
        }
        float * A = malloc(sizeof(float) * M * K);
        float * B = malloc(sizeof(float) * N * K);
        float * C = malloc(sizeof(float) * M * N);
        double * t = malloc(sizeof(double) * runs);
        if (!A || !B || !C || !t) return 3;
        unsigned x = 12345;
        for (long i = 0; i < M * K; ++i) A[i] = ((x = x * 1664525u + 1013904223u) >> 8) * (1.0f / 16777216.0f) - 0.5f;
        for (long i = 0; i < N * K; ++i) B[i] = ((x = x * 1664525u + 1013904223u) >> 8) * (1.0f / 16777216.0f) - 0.5f;
        for (int r = -1; r < runs; ++r) {
            double t0 = now_s();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, A, K, B, K, 0.0f, C, N);
            if (r >= 0) t[r] = now_s() - t0;
        }
        qsort(t, runs, sizeof(double), cmp);
        double flop = 2.0 * M * N * K;
        printf("{\"M\":%ld,\"K\":%ld,\"N\":%ld,\"median_ms\":%.4f,\"min_ms\":%.4f,\"max_ms\":%.4f,\"gflops\":%.3f,\"best_gflops\":%.3f}\n", M, K, N,
               t[runs / 2] * 1e3, t[0] * 1e3, t[runs - 1] * 1e3, flop / t[runs / 2] / 1e9, flop / t[0] / 1e9);
        fflush(stdout);
        free(A); free(B); free(C); free(t);
    }
    return 0;
}
