package dev.tokenlearner.train.data;

import dev.tokenlearner.core.UserError;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A video file that cannot give a clip: FFmpeg cannot open it, it has no video stream, it has fewer
 * frames than a clip spans, or a frame does not decode. The message names the file.
 */
public final class VideoFileException extends IOException implements UserError {
  private static final long serialVersionUID = 1L;

  /** What is wrong with the file. */
  public enum Reason {
    /** FFmpeg does not recognise the file as a media file. */
    NOT_A_VIDEO,
    /** The file opens but holds no video stream (e.g. audio only). */
    NO_VIDEO_STREAM,
    /** Fewer frames than one clip spans ({@code (num_frames - 1) * stride + 1}). */
    TOO_SHORT,
    /** The video stream cannot be decoded. */
    DECODE_FAILED
  }

  private final Path file;
  private final Reason reason;

  /**
   * @param file the video file
   * @param reason what is wrong
   * @param message what was expected and found
   */
  public VideoFileException(Path file, Reason reason, String message) {
    super(file + ": " + message);
    this.file = file;
    this.reason = reason;
  }

  /**
   * Returns the file at fault.
   *
   * @return the video file
   */
  public Path file() {
    return file;
  }

  /**
   * Returns what is wrong with the file.
   *
   * @return the reason
   */
  public Reason reason() {
    return reason;
  }
}
