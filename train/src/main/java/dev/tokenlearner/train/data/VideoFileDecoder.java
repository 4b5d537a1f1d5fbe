package dev.tokenlearner.train.data;

import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_decoder;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_get_name;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_to_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_frame;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_packet;
import static org.bytedeco.ffmpeg.global.avformat.av_find_best_stream;
import static org.bytedeco.ffmpeg.global.avformat.av_read_frame;
import static org.bytedeco.ffmpeg.global.avformat.avformat_close_input;
import static org.bytedeco.ffmpeg.global.avformat.avformat_find_stream_info;
import static org.bytedeco.ffmpeg.global.avformat.avformat_open_input;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EOF;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO;
import static org.bytedeco.ffmpeg.global.avutil.AV_LOG_QUIET;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_RGB24;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_unref;
import static org.bytedeco.ffmpeg.global.avutil.av_log_set_level;
import static org.bytedeco.ffmpeg.global.avutil.av_strerror;
import static org.bytedeco.ffmpeg.global.swscale.SWS_BILINEAR;
import static org.bytedeco.ffmpeg.global.swscale.sws_freeContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_scale;

import dev.tokenlearner.train.data.VideoFileException.Reason;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Reads the video stream of a file with FFmpeg (JavaCPP presets): its frame count, and chosen
 * frames decoded to RGB. Decoding runs from the start of the file up to the last frame asked for,
 * so a clip near the start of a long video costs little; frames count in presentation order, as the
 * decoder gives them. Every FFmpeg object is freed before a method returns, also on errors. Each
 * call opens the file itself, so calls from several threads are independent.
 */
final class VideoFileDecoder {

  /** {@code AVERROR(EAGAIN)} on Linux: the decoder wants more input before it gives a frame. */
  private static final int EAGAIN = -11;

  /** Rows of the RGB buffer start at multiples of this many bytes, as swscale prefers. */
  private static final int ALIGN = 64;

  static {
    // Errors reach the caller as VideoFileException; FFmpeg's own console log would repeat them.
    av_log_set_level(AV_LOG_QUIET);
  }

  private VideoFileDecoder() {}

  /**
   * Frames in the file's video stream: the container's count when it records one (MP4, MOV, AVI),
   * else the stream's packets counted without decoding (Matroska, WebM).
   *
   * @param file the video file
   * @return the number of frames
   * @throws VideoFileException if the file is not a video or has no video stream
   */
  static int frameCount(Path file) throws VideoFileException {
    try (Opened in = Opened.of(file, false)) {
      long n = in.fmt.streams(in.stream).nb_frames();
      if (n > 0) {
        return Math.toIntExact(n);
      }
      int count = 0;
      AVPacket pkt = av_packet_alloc();
      try {
        while (av_read_frame(in.fmt, pkt) >= 0) {
          if (pkt.stream_index() == in.stream) {
            count++;
          }
          av_packet_unref(pkt);
        }
      } finally {
        av_packet_free(pkt);
      }
      return count;
    }
  }

  /**
   * Decodes frames of the video stream to RGB.
   *
   * @param file the video file
   * @param indices frame indices, strictly ascending
   * @return one frame per index
   * @throws VideoFileException if the file is not a video, has no video stream, fails to decode, or
   *     ends before the last index
   */
  static List<VideoFrames.RgbFrame> decode(Path file, int[] indices) throws VideoFileException {
    for (int i = 1; i < indices.length; i++) {
      if (indices[i] <= indices[i - 1]) {
        throw new IllegalArgumentException("frame indices must ascend: " + indices[i]);
      }
    }
    List<VideoFrames.RgbFrame> out = new ArrayList<>(indices.length);
    if (indices.length == 0) {
      return out;
    }
    try (Opened in = Opened.of(file, true);
        Rgb rgb = new Rgb()) {
      AVPacket pkt = av_packet_alloc();
      AVFrame frame = av_frame_alloc();
      try {
        int decoded = 0;
        boolean flushed = false;
        while (out.size() < indices.length && !flushed) {
          int r = av_read_frame(in.fmt, pkt);
          try {
            if (r < 0) {
              // End of file (or a read error): drain the frames the decoder still holds.
              avcodec_send_packet(in.codec, null);
              flushed = true;
            } else if (pkt.stream_index() != in.stream) {
              continue;
            } else {
              int s = avcodec_send_packet(in.codec, pkt);
              if (s < 0 && s != EAGAIN) {
                throw new VideoFileException(
                    file, Reason.DECODE_FAILED, "cannot decode frame " + decoded + ": " + error(s));
              }
            }
          } finally {
            av_packet_unref(pkt);
          }
          while (out.size() < indices.length) {
            int s = avcodec_receive_frame(in.codec, frame);
            if (s == EAGAIN || s == AVERROR_EOF) {
              break;
            }
            if (s < 0) {
              throw new VideoFileException(
                  file, Reason.DECODE_FAILED, "cannot decode frame " + decoded + ": " + error(s));
            }
            try {
              if (decoded == indices[out.size()]) {
                out.add(rgb.convert(file, frame));
              }
              decoded++;
            } finally {
              av_frame_unref(frame);
            }
          }
        }
        if (out.size() < indices.length) {
          throw new VideoFileException(
              file,
              Reason.TOO_SHORT,
              "video stream ended after "
                  + decoded
                  + " frames; frame "
                  + indices[out.size()]
                  + " was asked for");
        }
        return out;
      } finally {
        av_frame_free(frame);
        av_packet_free(pkt);
      }
    }
  }

  private static String error(int code) {
    byte[] buf = new byte[256];
    av_strerror(code, buf, buf.length);
    int n = 0;
    while (n < buf.length && buf[n] != 0) {
      n++;
    }
    return new String(buf, 0, n, StandardCharsets.UTF_8) + " (" + code + ")";
  }

  /** An opened file: its demuxer, the best video stream and, when asked, its decoder. */
  private static final class Opened implements AutoCloseable {
    private final AVFormatContext fmt;
    private final int stream;
    private final AVCodecContext codec;

    private Opened(AVFormatContext fmt, int stream, AVCodecContext codec) {
      this.fmt = fmt;
      this.stream = stream;
      this.codec = codec;
    }

    static Opened of(Path file, boolean withDecoder) throws VideoFileException {
      AVFormatContext fmt = new AVFormatContext(null);
      int r = avformat_open_input(fmt, file.toString(), null, (AVDictionary) null);
      if (r < 0) {
        // avformat_open_input frees the context itself on failure.
        throw new VideoFileException(
            file, Reason.NOT_A_VIDEO, "FFmpeg cannot open it as a media file: " + error(r));
      }
      AVCodecContext ctx = null;
      try {
        r = avformat_find_stream_info(fmt, (PointerPointer<?>) null);
        if (r < 0) {
          throw new VideoFileException(
              file, Reason.NOT_A_VIDEO, "FFmpeg cannot read its streams: " + error(r));
        }
        int s = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, (AVCodec) null, 0);
        if (s < 0) {
          throw new VideoFileException(
              file,
              Reason.NO_VIDEO_STREAM,
              "no video stream among its " + fmt.nb_streams() + " stream(s)");
        }
        if (withDecoder) {
          AVCodecParameters par = fmt.streams(s).codecpar();
          AVCodec dec = avcodec_find_decoder(par.codec_id());
          if (dec == null || dec.isNull()) {
            throw new VideoFileException(
                file,
                Reason.DECODE_FAILED,
                "no decoder for its video codec " + avcodec_get_name(par.codec_id()).getString());
          }
          ctx = avcodec_alloc_context3(dec);
          r = avcodec_parameters_to_context(ctx, par);
          // One thread per decoder: the input pipeline already decodes clips in parallel.
          ctx.thread_count(1);
          if (r >= 0) {
            r = avcodec_open2(ctx, dec, (AVDictionary) null);
          }
          if (r < 0) {
            throw new VideoFileException(
                file, Reason.DECODE_FAILED, "cannot open its video decoder: " + error(r));
          }
        }
        Opened o = new Opened(fmt, s, ctx);
        ctx = null;
        fmt = null;
        return o;
      } finally {
        if (ctx != null) {
          avcodec_free_context(ctx);
        }
        if (fmt != null) {
          avformat_close_input(fmt);
        }
      }
    }

    @Override
    public void close() {
      if (codec != null) {
        avcodec_free_context(codec);
      }
      avformat_close_input(fmt);
    }
  }

  /** Converts decoded frames to packed RGB; holds one swscale context and buffer at a time. */
  private static final class Rgb implements AutoCloseable {
    private SwsContext sws;
    private BytePointer buffer;
    private int width;
    private int height;
    private int format = -1;

    VideoFrames.RgbFrame convert(Path file, AVFrame f) throws VideoFileException {
      int w = f.width();
      int h = f.height();
      int stride = (w * 3 + ALIGN - 1) / ALIGN * ALIGN;
      if (sws == null || w != width || h != height || f.format() != format) {
        close();
        width = w;
        height = h;
        format = f.format();
        sws =
            sws_getContext(
                w,
                h,
                format,
                w,
                h,
                AV_PIX_FMT_RGB24,
                SWS_BILINEAR,
                null,
                null,
                (DoublePointer) null);
        if (sws == null || sws.isNull()) {
          throw new VideoFileException(
              file,
              Reason.DECODE_FAILED,
              "cannot convert " + w + "x" + h + " frames of pixel format " + format + " to RGB");
        }
        buffer = new BytePointer((long) stride * h + ALIGN);
      }
      // swscale copies four plane pointers and strides, whatever the format uses.
      try (PointerPointer<BytePointer> dst = new PointerPointer<>(buffer, null, null, null);
          IntPointer dstStride = new IntPointer(new int[] {stride, 0, 0, 0})) {
        sws_scale(sws, f.data(), f.linesize(), 0, h, dst, dstStride);
      }
      byte[] rgb = new byte[w * h * 3];
      for (int y = 0; y < h; y++) {
        buffer.position((long) y * stride).get(rgb, y * w * 3, w * 3);
      }
      buffer.position(0);
      return new VideoFrames.RgbFrame(rgb, h, w);
    }

    @Override
    public void close() {
      if (sws != null) {
        sws_freeContext(sws);
        sws = null;
      }
      if (buffer != null) {
        buffer.close();
        buffer = null;
      }
    }
  }
}
