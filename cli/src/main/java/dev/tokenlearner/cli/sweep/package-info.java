/**
 * {@code tokenlearner sweep}: where to put a TokenLearner and how many tokens to learn, measured.
 * {@link dev.tokenlearner.cli.sweep.SweepPlan} makes the plain model and each placement from one
 * config with one budget; {@link dev.tokenlearner.cli.sweep.Sweep} trains them in turn (skipping
 * finished ones); {@link dev.tokenlearner.cli.sweep.SweepTable} and {@link
 * dev.tokenlearner.cli.sweep.ParetoPlot} write the results.
 */
package dev.tokenlearner.cli.sweep;
