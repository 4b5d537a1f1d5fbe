/**
 * The {@code bench} command: inference and training-step throughput of plain ViTs and their
 * TokenLearner variants against the analytic FLOP ratios, the MatMul peak, a session-settings
 * sweep, checkpoint import time and memory. Entry point: {@link
 * dev.tokenlearner.bench.Benchmark#run(BenchOptions)}.
 */
package dev.tokenlearner.bench;
