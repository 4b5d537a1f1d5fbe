package dev.tokenlearner.train;

/**
 * Running means of the training metrics over the current summary window, and the last closed one.
 */
final class MetricWindow {
  private double loss;
  private double accuracy;
  private double gradNorm;
  private int n;
  private double closedLoss = Double.NaN;
  private double closedAccuracy = Double.NaN;

  void add(StepResult r) {
    loss += r.loss();
    accuracy += r.accuracy();
    gradNorm += r.gradNorm();
    n++;
  }

  double loss() {
    return loss / n;
  }

  double accuracy() {
    return accuracy / n;
  }

  double gradNorm() {
    return gradNorm / n;
  }

  /** Closes the window: its means become the last closed ones. */
  void roll() {
    closedLoss = loss();
    closedAccuracy = accuracy();
    loss = 0;
    accuracy = 0;
    gradNorm = 0;
    n = 0;
  }

  /** Mean loss of the open window, or of the last closed one when the open one is empty. */
  double recentLoss() {
    return n > 0 ? loss() : closedLoss;
  }

  /** Mean accuracy of the open window, or of the last closed one when the open one is empty. */
  double recentAccuracy() {
    return n > 0 ? accuracy() : closedAccuracy;
  }
}
