package dev.tokenlearner.train.data;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_FLAG_GLOBAL_HEADER;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_FLAG_QSCALE;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_rescale_ts;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_encoder_by_name;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_from_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_packet;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_frame;
import static org.bytedeco.ffmpeg.global.avformat.AVFMT_GLOBALHEADER;
import static org.bytedeco.ffmpeg.global.avformat.AVIO_FLAG_WRITE;
import static org.bytedeco.ffmpeg.global.avformat.av_interleaved_write_frame;
import static org.bytedeco.ffmpeg.global.avformat.av_write_trailer;
import static org.bytedeco.ffmpeg.global.avformat.avformat_alloc_output_context2;
import static org.bytedeco.ffmpeg.global.avformat.avformat_free_context;
import static org.bytedeco.ffmpeg.global.avformat.avformat_new_stream;
import static org.bytedeco.ffmpeg.global.avformat.avformat_write_header;
import static org.bytedeco.ffmpeg.global.avformat.avio_closep;
import static org.bytedeco.ffmpeg.global.avformat.avio_open;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_RGB24;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;
import static org.bytedeco.ffmpeg.global.avutil.FF_QP2LAMBDA;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_get_buffer;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_make_writable;
import static org.bytedeco.ffmpeg.global.avutil.av_make_q;
import static org.bytedeco.ffmpeg.global.swscale.SWS_BILINEAR;
import static org.bytedeco.ffmpeg.global.swscale.sws_freeContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_scale;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.PointerPointer;

/** Writes small test videos with the same FFmpeg presets the dataset reads them with. */
public final class VideoFiles {

  private VideoFiles() {}

  /**
   * Encodes RGB frames as a video; the container follows the file name ({@code .mp4}, {@code .mkv},
   * {@code .avi}, ...).
   *
   * @param file the output file
   * @param codec an FFmpeg encoder name, e.g. {@code mpeg4}
   * @param width frame width (even)
   * @param height frame height (even)
   * @param frames packed RGB frames, {@code height * width * 3} bytes each
   * @throws IOException if FFmpeg refuses a step
   */
  public static void write(Path file, String codec, int width, int height, List<byte[]> frames)
      throws IOException {
    AVFormatContext oc = new AVFormatContext(null);
    check(avformat_alloc_output_context2(oc, null, null, file.toString()), "output context");
    AVCodecContext c = null;
    AVFrame yuv = av_frame_alloc();
    AVPacket pkt = av_packet_alloc();
    SwsContext sws = null;
    try {
      AVCodec enc = avcodec_find_encoder_by_name(codec);
      if (enc == null || enc.isNull()) {
        throw new IOException("no encoder " + codec);
      }
      AVStream st = avformat_new_stream(oc, null);
      c = avcodec_alloc_context3(enc);
      c.width(width);
      c.height(height);
      c.pix_fmt(AV_PIX_FMT_YUV420P);
      c.time_base(av_make_q(1, 25));
      c.framerate(av_make_q(25, 1));
      c.gop_size(4);
      c.max_b_frames(0);
      // Constant quantiser 2: the best quality mpeg4 gives, so colours survive closely.
      c.flags(c.flags() | AV_CODEC_FLAG_QSCALE);
      c.global_quality(FF_QP2LAMBDA * 2);
      if ((oc.oformat().flags() & AVFMT_GLOBALHEADER) != 0) {
        c.flags(c.flags() | AV_CODEC_FLAG_GLOBAL_HEADER);
      }
      check(avcodec_open2(c, enc, (AVDictionary) null), "open encoder");
      check(avcodec_parameters_from_context(st.codecpar(), c), "stream parameters");
      st.time_base(c.time_base());
      org.bytedeco.ffmpeg.avformat.AVIOContext pb =
          new org.bytedeco.ffmpeg.avformat.AVIOContext(null);
      check(avio_open(pb, file.toString(), AVIO_FLAG_WRITE), "open " + file);
      oc.pb(pb);
      check(avformat_write_header(oc, (AVDictionary) null), "header");
      yuv.format(AV_PIX_FMT_YUV420P);
      yuv.width(width);
      yuv.height(height);
      check(av_frame_get_buffer(yuv, 0), "frame buffer");
      sws =
          sws_getContext(
              width,
              height,
              AV_PIX_FMT_RGB24,
              width,
              height,
              AV_PIX_FMT_YUV420P,
              SWS_BILINEAR,
              null,
              null,
              (DoublePointer) null);
      for (int i = 0; i < frames.size(); i++) {
        check(av_frame_make_writable(yuv), "writable frame");
        // swscale reads whole SIMD words: aligned rows with spare bytes after the last one.
        int rowBytes = (width * 3 + 63) / 64 * 64;
        try (BytePointer rgb = new BytePointer((long) rowBytes * (height + 1));
            // swscale copies four plane pointers and strides, whatever the format uses.
            PointerPointer<BytePointer> src = new PointerPointer<>(rgb, null, null, null);
            IntPointer stride = new IntPointer(new int[] {rowBytes, 0, 0, 0})) {
          for (int y = 0; y < height; y++) {
            rgb.position((long) y * rowBytes).put(frames.get(i), y * width * 3, width * 3);
          }
          rgb.position(0);
          sws_scale(sws, src, stride, 0, height, yuv.data(), yuv.linesize());
        }
        yuv.pts(i);
        check(avcodec_send_frame(c, yuv), "encode");
        drain(oc, c, st, pkt);
      }
      check(avcodec_send_frame(c, null), "flush");
      drain(oc, c, st, pkt);
      check(av_write_trailer(oc), "trailer");
    } finally {
      if (sws != null) {
        sws_freeContext(sws);
      }
      av_packet_free(pkt);
      av_frame_free(yuv);
      if (c != null) {
        avcodec_free_context(c);
      }
      if (oc.pb() != null && !oc.pb().isNull()) {
        avio_closep(oc.pb());
      }
      avformat_free_context(oc);
    }
  }

  private static void drain(AVFormatContext oc, AVCodecContext c, AVStream st, AVPacket pkt)
      throws IOException {
    while (avcodec_receive_packet(c, pkt) >= 0) {
      // A last packet without a duration would fall outside MP4's edit list and be dropped.
      if (pkt.duration() <= 0) {
        pkt.duration(1);
      }
      av_packet_rescale_ts(pkt, c.time_base(), st.time_base());
      pkt.stream_index(st.index());
      check(av_interleaved_write_frame(oc, pkt), "write packet");
    }
  }

  private static void check(int r, String what) throws IOException {
    if (r < 0) {
      throw new IOException("FFmpeg: " + what + " failed (" + r + ")");
    }
  }

  /**
   * A solid colour frame.
   *
   * @return {@code h * w * 3} bytes
   */
  public static byte[] solid(int w, int h, int r, int g, int b) {
    byte[] out = new byte[w * h * 3];
    for (int i = 0; i < w * h; i++) {
      out[3 * i] = (byte) r;
      out[3 * i + 1] = (byte) g;
      out[3 * i + 2] = (byte) b;
    }
    return out;
  }
}
