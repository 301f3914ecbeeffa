#pragma once
// Lines to draw the gazetteer's streets on a map. The gazetteer holds addresses (points), not
// street geometry, so a street is drawn as a line through its address points in the order they
// lie along the street's main direction; points far apart start a new piece (two parts of a
// street with one name, or a gap without houses). Pure: no I/O.

#include <string>
#include <vector>

#include "bot/geo/gazetteer.hpp"

namespace bb::geo {

//! The lines of `streets`: points ordered along each street's main axis, smoothed over their
//! neighbours (houses on both sides of a street do not make a zigzag), split where two
//! neighbours are more than `max_gap_m` apart. A street with fewer than two points has no line.
std::vector<StreetLine> buildStreetLines(const std::vector<StreetPoints>& streets,
                                         double max_gap_m = 250);

}  // namespace bb::geo
