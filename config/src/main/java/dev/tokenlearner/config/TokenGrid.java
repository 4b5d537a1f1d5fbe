package dev.tokenlearner.config;

/**
 * Token counts derived from a model and its input (spec §1.4): the patch grid of one frame, the
 * number of time steps after temporal encoding, and the sequence length N that fixes {@code
 * posembed_input/pos_embedding [1, N, D]}.
 *
 * @param gridH patch rows per frame, {@code floor(H / fh)}
 * @param gridW patch columns per frame, {@code floor(W / fw)}
 * @param tDims time steps after temporal encoding ({@code t_dims}; 1 for images)
 * @param tokensPerFrame tokens per time step, {@code N / t_dims} (what each TokenLearner sees)
 * @param sequenceLength N, tokens fed to the encoder
 */
public record TokenGrid(int gridH, int gridW, int tDims, int tokensPerFrame, int sequenceLength) {

  /**
   * Validates the fields.
   *
   * @throws IllegalArgumentException if any count is not positive
   */
  public TokenGrid {
    if (gridH <= 0 || gridW <= 0 || tDims <= 0 || tokensPerFrame <= 0 || sequenceLength <= 0) {
      throw new IllegalArgumentException(
          "token grid must be positive, got gridH="
              + gridH
              + " gridW="
              + gridW
              + " tDims="
              + tDims
              + " tokensPerFrame="
              + tokensPerFrame
              + " N="
              + sequenceLength);
    }
  }

  /**
   * Computes the grid the way Scenic's stems do: VALID patch convolutions drop partial patches;
   * {@code 3d_conv} gives {@code T' = floor(T / ft)} steps; {@code temporal_sampling} stacks the
   * sampled frames along the height before a 2-D patch convolution.
   *
   * @param model the model config
   * @param input the input spec
   * @return the grid
   * @throws IllegalArgumentException if the input is smaller than one patch, or a video tokenizer
   *     has no frames
   */
  public static TokenGrid of(ModelConfig model, InputSpec input) {
    TokenizerConfig t = model.tokenizer();
    int fh = t.patchH();
    int fw = t.patchW();
    int h = input.height() / fh;
    int w = input.width() / fw;
    if (h == 0 || w == 0) {
      throw new IllegalArgumentException(
          "input "
              + input.height()
              + "x"
              + input.width()
              + " is smaller than one patch "
              + fh
              + "x"
              + fw);
    }
    if (t.type() != TokenizerType.VIDEO) {
      return new TokenGrid(h, w, 1, h * w, h * w);
    }
    if (!input.isVideo()) {
      throw new IllegalArgumentException("tokenizer 'video' needs num_frames > 0");
    }
    TemporalEncodingConfig te = t.temporalEncoding().orElseThrow();
    if (te.method() == TemporalEncodingMethod.THREE_D_CONV) {
      int tSteps = input.numFrames() / t.patchT();
      if (tSteps == 0) {
        throw new IllegalArgumentException(
            "num_frames " + input.numFrames() + " is fewer than the temporal patch " + t.patchT());
      }
      return new TokenGrid(h, w, tSteps, h * w, tSteps * h * w);
    }
    int ts = te.sampledFrameCount(input.numFrames());
    // Frames are stacked along the height: floor(ts * H / fh) rows in total.
    int n = (int) ((long) ts * input.height() / fh) * w;
    return new TokenGrid(h, w, ts, n / ts, n);
  }

  /**
   * Whether one frame's tokens form a square grid, as TokenLearner v1 (convolutions) requires.
   *
   * @return true if {@code tokensPerFrame} is a perfect square
   */
  public boolean squarePerFrame() {
    int side = (int) Math.round(Math.sqrt(tokensPerFrame));
    return side * side == tokensPerFrame;
  }
}
