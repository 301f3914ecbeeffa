#pragma once
// Data-protection checks shared by the channel scenarios: what exiftool still finds in
// a stored photo, and which personal identifiers appear in the raw database files or the log.

#include <string>
#include <vector>

namespace bb::test {

//! Tags `exiftool -a -G1 -s` reads from `path` that could identify a place, a device or a time
//! (GPS*, Make, Model, *Date*/*Time*, serial numbers, owner, software), outside exiftool's own
//! groups (ExifTool, System, File, Composite). Each entry is "[Group] Tag". Empty: clean.
//! When exiftool is missing the result is {"exiftool missing"}, so a check fails loudly.
std::vector<std::string> identifyingTags(const std::string& path);

//! The database file with its -wal, -shm and -journal companions, as far as they exist.
std::vector<std::string> databaseFiles(const std::string& db_path);

//! Every needle found (as bytes) in any of the files; entries are "needle in file".
std::vector<std::string> leaksInFiles(const std::vector<std::string>& files,
                                      const std::vector<std::string>& needles);

//! Every needle found in `text`.
std::vector<std::string> leaksInText(const std::string& text, const std::vector<std::string>& needles);

//! The server's log without the leading `ts=…Z ` of each line. A scan for coordinates must not
//! read the clock: "ts=…T13:06:48.077Z" holds "48.077", the latitude of the test's photo.
std::string logWithoutTimestamps(const std::string& log);

//! A WhatsApp message id in the real format: "wamid." + base64 of the record WhatsApp builds
//! (a Thrift compact struct: the phone number, a direction flag, a hex message key), e.g.
//! "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRB…" holds "16503879439". `serial` makes the key
//! unique; `outbound` gives the shape of ids the Graph API returns for our sends.
std::string realisticWamid(const std::string& number, unsigned serial, bool outbound = false);

//! Standard base64 (with padding).
std::string base64(const std::string& bytes);

//! `value` as it could appear in a file: raw, and base64 at each of the three byte alignments
//! (only the characters that do not depend on neighbouring bytes), so a scan also finds it
//! inside a longer base64 string such as a wamid.
std::vector<std::string> rawAndBase64(const std::string& value);

//! rawAndBase64 of every value, concatenated.
std::vector<std::string> identifierNeedles(const std::vector<std::string>& values);

}  // namespace bb::test
