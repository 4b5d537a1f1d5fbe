package dev.tokenlearner.train.data;

import dev.tokenlearner.core.InvalidInputException;
import java.util.SplittableRandom;

/**
 * The order in which training examples are visited: a fresh seeded permutation per epoch, read
 * {@code batchSize} at a time. Which examples step {@code s} sees, and the randomness used to
 * augment them, depend only on (seed, step), so a resumed run sees exactly what an uninterrupted
 * run would have seen.
 */
public final class TrainOrder {

  private final long seed;
  private final int batchSize;
  private final long numExamples;
  private final int shardOffset;
  private final int shardSize;
  private long cachedEpoch = -1;
  private int[] cachedPermutation;

  /**
   * @param seed the run's seed
   * @param batchSize examples per step
   * @param numExamples examples per epoch
   * @throws IllegalArgumentException if a size is not positive or the split is too big to permute
   */
  public TrainOrder(long seed, int batchSize, long numExamples) {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
    }
    if (numExamples <= 0 || numExamples > Integer.MAX_VALUE) {
      throw new InvalidInputException(
          "training split must hold 1.." + Integer.MAX_VALUE + " examples, got " + numExamples);
    }
    this.seed = seed;
    this.batchSize = batchSize;
    this.numExamples = numExamples;
    this.shardOffset = 0;
    this.shardSize = batchSize;
  }

  private TrainOrder(TrainOrder whole, int shardOffset, int shardSize) {
    this.seed = whole.seed;
    this.batchSize = whole.batchSize;
    this.numExamples = whole.numExamples;
    this.shardOffset = shardOffset;
    this.shardSize = shardSize;
  }

  /**
   * One replica's share of every batch: replica {@code rank} of {@code replicas} sees the
   * contiguous slice {@code [rank * b, (rank + 1) * b)} of each global batch ({@code b = batchSize
   * / replicas}), with the augmentation the whole batch would give those examples, so the replicas
   * together see exactly what one process sees.
   *
   * @param rank the replica, 0-based
   * @param replicas how many replicas share each batch
   * @return the order of the shard; its {@link #indices} have {@code batchSize / replicas} entries
   * @throws IllegalArgumentException if the batch does not split evenly or rank is out of range
   */
  public TrainOrder shard(int rank, int replicas) {
    if (replicas <= 0 || rank < 0 || rank >= replicas) {
      throw new IllegalArgumentException("replica " + rank + " of " + replicas + " does not exist");
    }
    if (shardSize != batchSize) {
      throw new IllegalArgumentException("this order is already one replica's shard");
    }
    if (batchSize % replicas != 0) {
      throw new InvalidInputException(
          "batch_size " + batchSize + " does not split evenly over " + replicas + " replicas");
    }
    int size = batchSize / replicas;
    return new TrainOrder(this, rank * size, size);
  }

  /** Examples per step in this order (the shard's size for a {@link #shard}). */
  public int shardSize() {
    return shardSize;
  }

  /**
   * The example indices of a step's batch.
   *
   * @param step the 0-based step
   * @return {@link #shardSize} indices into the training split
   */
  public synchronized long[] indices(long step) {
    long[] out = new long[shardSize];
    for (int j = 0; j < shardSize; j++) {
      long position = step * batchSize + shardOffset + j;
      long epoch = position / numExamples;
      out[j] = permutation(epoch)[(int) (position % numExamples)];
    }
    return out;
  }

  /**
   * The augmentation randomness of one example of a step's batch.
   *
   * @param step the 0-based step
   * @param slot position in the batch (in the shard, for a {@link #shard})
   * @return a generator seeded from (seed, step, slot in the global batch)
   */
  public SplittableRandom augmentation(long step, int slot) {
    return new SplittableRandom(mix(mix(seed ^ 0x5DEECE66DL, step), shardOffset + slot));
  }

  private int[] permutation(long epoch) {
    if (epoch != cachedEpoch) {
      int n = (int) numExamples;
      int[] p = new int[n];
      for (int i = 0; i < n; i++) {
        p[i] = i;
      }
      SplittableRandom r = new SplittableRandom(mix(seed, epoch));
      for (int i = n - 1; i > 0; i--) {
        int k = r.nextInt(i + 1);
        int t = p[i];
        p[i] = p[k];
        p[k] = t;
      }
      cachedEpoch = epoch;
      cachedPermutation = p;
    }
    return cachedPermutation;
  }

  /**
   * A 64-bit mix of two values (SplitMix64's finaliser over their combination), for seeds derived
   * from (seed, step).
   *
   * @param a first value
   * @param b second value
   * @return the mixed value
   */
  public static long mix(long a, long b) {
    long z = a * 0x9E3779B97F4A7C15L + b + 0x632BE59BD9B4E019L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
