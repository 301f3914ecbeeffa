#include "bot/media/pixels.hpp"

#include <algorithm>
#include <cstddef>

namespace bb::media {

namespace {

std::size_t byteCount(int width, int height, int channels) {
  return static_cast<std::size_t>(width) * static_cast<std::size_t>(height) *
         static_cast<std::size_t>(channels);
}

// Source interval [first, last) of output index `i` when `in` samples shrink to `out`.
struct Span {
  std::size_t first = 0;
  std::size_t last = 0;
};

std::vector<Span> spans(int in, int out) {
  std::vector<Span> result(static_cast<std::size_t>(out));
  const auto n = static_cast<std::uint64_t>(in);
  const auto m = static_cast<std::uint64_t>(out);
  for (std::uint64_t i = 0; i < m; ++i) {
    auto first = static_cast<std::size_t>(i * n / m);
    auto last = static_cast<std::size_t>((i + 1) * n / m);
    last = std::max(last, first + 1);
    last = std::min(last, static_cast<std::size_t>(in));
    first = std::min(first, last - 1);
    result[static_cast<std::size_t>(i)] = Span{first, last};
  }
  return result;
}

}  // namespace

Size fitWithin(int width, int height, int max_edge) {
  const int longer = std::max(width, height);
  if (longer <= max_edge || max_edge <= 0) {
    return Size{width, height};
  }
  const auto scaled = [&](int edge) {
    const auto v = (static_cast<std::int64_t>(edge) * max_edge + longer / 2) / longer;
    return static_cast<int>(std::clamp<std::int64_t>(v, 1, max_edge));
  };
  return width >= height ? Size{max_edge, scaled(height)} : Size{scaled(width), max_edge};
}

Pixels applyOrientation(const Pixels& in, int orientation) {
  if (orientation < 2 || orientation > 8) {
    return in;
  }
  const bool swaps = orientation >= 5;
  Pixels out;
  out.width = swaps ? in.height : in.width;
  out.height = swaps ? in.width : in.height;
  out.channels = in.channels;
  out.data.resize(byteCount(out.width, out.height, out.channels));
  const std::size_t w = static_cast<std::size_t>(in.width);
  const std::size_t h = static_cast<std::size_t>(in.height);
  const std::size_t c = static_cast<std::size_t>(in.channels);
  const std::size_t ow = static_cast<std::size_t>(out.width);
  const std::size_t oh = static_cast<std::size_t>(out.height);
  for (std::size_t dy = 0; dy < oh; ++dy) {
    for (std::size_t dx = 0; dx < ow; ++dx) {
      std::size_t sx = dx;
      std::size_t sy = dy;
      switch (orientation) {
        case 2: sx = w - 1 - dx; sy = dy; break;           // mirror horizontally
        case 3: sx = w - 1 - dx; sy = h - 1 - dy; break;   // rotate 180
        case 4: sx = dx; sy = h - 1 - dy; break;           // mirror vertically
        case 5: sx = dy; sy = dx; break;                   // transpose
        case 6: sx = dy; sy = h - 1 - dx; break;           // rotate 90 clockwise
        case 7: sx = w - 1 - dy; sy = h - 1 - dx; break;   // transverse
        case 8: sx = w - 1 - dy; sy = dx; break;           // rotate 90 counter-clockwise
        default: break;
      }
      const std::uint8_t* src = &in.data[(sy * w + sx) * c];
      std::uint8_t* dst = &out.data[(dy * ow + dx) * c];
      std::copy(src, src + c, dst);
    }
  }
  return out;
}

Pixels resizeArea(const Pixels& in, Size target) {
  if (target.width == in.width && target.height == in.height) {
    return in;
  }
  Pixels out;
  out.width = target.width;
  out.height = target.height;
  out.channels = in.channels;
  out.data.resize(byteCount(out.width, out.height, out.channels));
  const std::vector<Span> xs = spans(in.width, out.width);
  const std::vector<Span> ys = spans(in.height, out.height);
  const std::size_t w = static_cast<std::size_t>(in.width);
  const std::size_t c = static_cast<std::size_t>(in.channels);
  std::vector<std::uint64_t> sum(c);
  for (std::size_t dy = 0; dy < ys.size(); ++dy) {
    for (std::size_t dx = 0; dx < xs.size(); ++dx) {
      std::fill(sum.begin(), sum.end(), 0);
      for (std::size_t sy = ys[dy].first; sy < ys[dy].last; ++sy) {
        const std::uint8_t* row = &in.data[sy * w * c];
        for (std::size_t sx = xs[dx].first; sx < xs[dx].last; ++sx) {
          for (std::size_t k = 0; k < c; ++k) {
            sum[k] += row[sx * c + k];
          }
        }
      }
      const std::uint64_t n =
          (ys[dy].last - ys[dy].first) * static_cast<std::uint64_t>(xs[dx].last - xs[dx].first);
      std::uint8_t* dst = &out.data[(dy * xs.size() + dx) * c];
      for (std::size_t k = 0; k < c; ++k) {
        dst[k] = static_cast<std::uint8_t>((sum[k] + n / 2) / n);
      }
    }
  }
  return out;
}

Pixels flattenOnWhite(const Pixels& in) {
  if (in.channels != 4) {
    return in;
  }
  Pixels out;
  out.width = in.width;
  out.height = in.height;
  out.channels = 3;
  out.data.resize(byteCount(out.width, out.height, 3));
  const std::size_t count =
      static_cast<std::size_t>(in.width) * static_cast<std::size_t>(in.height);
  for (std::size_t i = 0; i < count; ++i) {
    const unsigned alpha = in.data[i * 4 + 3];
    for (std::size_t k = 0; k < 3; ++k) {
      const unsigned v = in.data[i * 4 + k] * alpha + 255U * (255U - alpha);
      out.data[i * 3 + k] = static_cast<std::uint8_t>((v + 127U) / 255U);
    }
  }
  return out;
}

}  // namespace bb::media
