#pragma once
// Everything the flows consult, loaded once at startup from the files the config names:
// categories, texts (de, en), city limits and districts (GeoJSON).

#include <string>
#include <vector>

#include "bot/result.hpp"
#include "bot/subscriptions/subscriptions.hpp"
#include "bot/types.hpp"
#include "config/config.hpp"
#include "flows/flow_types.hpp"

namespace bb {

struct FlowData {
  flows::TextCatalog texts;
  std::vector<flows::Category> categories;
  flows::Geo geo;
  flows::Settings settings;
  std::vector<TopicSetting> topic_settings;  //!< subscriptions.topics_file
  std::vector<flows::Topic> topics;          //!< the same, as the flows see them

  const flows::Category* category(const std::string& id) const;
  //! The label of subscription topic `id` in `lang` (its id when unknown).
  std::string topicLabel(const std::string& id, flows::Lang lang) const;
  //! A context for one step at `now`.
  flows::Context context(SysTime now) const;
};

Result<std::vector<flows::Category>> parseCategories(const std::string& json_text);
Result<void> parseTexts(const std::string& json_text, flows::Lang lang, flows::TextCatalog& into);
//! Polygons of a GeoJSON FeatureCollection/Feature/geometry (Polygon and MultiPolygon outer rings).
Result<std::vector<flows::Polygon>> parseGeoJsonPolygons(const std::string& json_text);
Result<std::vector<flows::District>> parseDistricts(const std::string& json_text);

//! Loads every file named in `config.flows`; the error names the file and the problem.
Result<FlowData> loadFlowData(const config::Config& config);

}  // namespace bb
