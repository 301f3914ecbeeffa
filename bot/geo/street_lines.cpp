#include "bot/geo/street_lines.hpp"

#include <algorithm>
#include <cmath>

namespace bb::geo {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr std::size_t kSmoothing = 2;  //!< neighbours on each side averaged into a point

struct Local {
  double x = 0;  //!< metres east of the street's centre
  double y = 0;  //!< metres north
  LatLon at;
};

//! The street's points in metres around their centre (equirectangular: a street is small).
std::vector<Local> localPoints(const std::vector<LatLon>& points) {
  double lat0 = 0;
  double lon0 = 0;
  for (const LatLon& p : points) {
    lat0 += p.lat;
    lon0 += p.lon;
  }
  lat0 /= static_cast<double>(points.size());
  lon0 /= static_cast<double>(points.size());
  const double m_per_deg = 111320.0;
  const double k = std::cos(lat0 * kPi / 180.0);
  std::vector<Local> out;
  out.reserve(points.size());
  for (const LatLon& p : points) {
    out.push_back(Local{(p.lon - lon0) * m_per_deg * k, (p.lat - lat0) * m_per_deg, p});
  }
  return out;
}

//! Sorts the points along the principal axis of their spread (the street's main direction).
void sortAlongAxis(std::vector<Local>& pts) {
  double sxx = 0;
  double syy = 0;
  double sxy = 0;
  for (const Local& p : pts) {
    sxx += p.x * p.x;
    syy += p.y * p.y;
    sxy += p.x * p.y;
  }
  const double angle = 0.5 * std::atan2(2 * sxy, sxx - syy);
  const double ux = std::cos(angle);
  const double uy = std::sin(angle);
  std::stable_sort(pts.begin(), pts.end(), [ux, uy](const Local& a, const Local& b) {
    return a.x * ux + a.y * uy < b.x * ux + b.y * uy;
  });
}

//! Each point replaced by the mean of itself and its neighbours within the piece; the ends stay.
std::vector<LatLon> smooth(const std::vector<Local>& piece) {
  std::vector<LatLon> out;
  out.reserve(piece.size());
  for (std::size_t i = 0; i < piece.size(); ++i) {
    if (i == 0 || i + 1 == piece.size()) {
      out.push_back(piece[i].at);
      continue;
    }
    const std::size_t from = i >= kSmoothing ? i - kSmoothing : 0;
    const std::size_t to = std::min(piece.size() - 1, i + kSmoothing);
    LatLon sum;
    for (std::size_t j = from; j <= to; ++j) {
      sum.lat += piece[j].at.lat;
      sum.lon += piece[j].at.lon;
    }
    const auto n = static_cast<double>(to - from + 1);
    out.push_back(LatLon{sum.lat / n, sum.lon / n});
  }
  return out;
}

void addPiece(const std::string& name, const std::vector<Local>& piece,
              std::vector<StreetLine>& out) {
  if (piece.size() >= 2) { out.push_back(StreetLine{name, smooth(piece)}); }
}

}  // namespace

std::vector<StreetLine> buildStreetLines(const std::vector<StreetPoints>& streets,
                                         double max_gap_m) {
  std::vector<StreetLine> out;
  for (const StreetPoints& street : streets) {
    if (street.points.size() < 2) { continue; }
    std::vector<Local> pts = localPoints(street.points);
    sortAlongAxis(pts);
    std::vector<Local> piece;
    for (const Local& p : pts) {
      if (!piece.empty() && std::hypot(p.x - piece.back().x, p.y - piece.back().y) > max_gap_m) {
        addPiece(street.name, piece, out);
        piece.clear();
      }
      piece.push_back(p);
    }
    addPiece(street.name, piece, out);
  }
  return out;
}

}  // namespace bb::geo
