#pragma once
// The map parts of the inbox pages: the list's map of the filtered tickets and the ticket page's
// map of its place (the drawing itself: web/inbox/ticket_map.hpp). The town comes from the
// configured boundary and districts (flows.boundary_file, flows.districts_file) and the
// gazetteer's streets; without any of them the map shows what there is, and without a boundary
// and without located tickets there is no map.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bot/conversation/engine.hpp"
#include "bot/staff/inbox_store.hpp"
#include "web/inbox/ticket_map.hpp"

namespace bb::web {

class InboxMap {
public:
  //! Tickets drawn on the list's map at most (the newest of the filter first).
  static constexpr int kMaxPlaces = 2000;

  //! `tiles`: the city's own tile server under the drawing (inbox.tile_url); empty: none.
  explicit InboxMap(Engine& engine, map::TileLayer tiles = {})
      : engine_(engine), tiles_(std::move(tiles)) {}

  //! The list page's map section: `places` as ticketPlaces answered (more than kMaxPlaces: the
  //! map says it shows the first), `area` the list's map area filter (the view), `cluster_link`
  //! the list narrowed to an area.
  std::string listSection(const std::vector<TicketPlace>& places,
                          const std::optional<MapArea>& area,
                          const std::function<std::string(const MapArea&)>& cluster_link) const;
  //! The ticket page's map of the ticket's place; "" when the ticket has no point.
  std::string placeFigure(const TicketRecord& t) const;

private:
  //! The tile server's attribution below a map that shows its tiles.
  std::string attribution() const;

  Engine& engine_;
  map::TileLayer tiles_;
};

}  // namespace bb::web
