#pragma once
// The page behind the link "meine daten" sends (bot/privacy/data_export.hpp): GET shows what the
// link gives and until when, without using it up (messengers open links for previews); the
// button POSTs, which uses the link up and answers the JSON file as a download.

#include <string>
#include <vector>

#include "bot/http/http.hpp"
#include "bot/ports.hpp"
#include "bot/privacy/data_export.hpp"

namespace bb::web {

class DataExportPage {
public:
  DataExportPage(DataExportStore& store, const Clock& clock) : store_(store), clock_(clock) {}

  std::vector<Route> routes();

  // Handlers (public for tests); req.matches[0] is the link's token.
  HttpResponse page(const HttpRequest& req);
  HttpResponse download(const HttpRequest& req);

private:
  DataExportStore& store_;
  const Clock& clock_;
};

}  // namespace bb::web
