#pragma once
// One ticket (GET /inbox/tickets/{n}): its facts, the citizen's text, location and photos, the
// thread with the delivery state of every message, the ticket's audit trail, and the staff actions
// (reply within the channel's window, status change with the text the followers receive, internal
// note, assignment, category and department, merging a duplicate). Photos are served under
// /inbox/media/{id} to those who may see their ticket. A ticket or photo of another department
// answers 404, exactly like a missing one.

#include <optional>
#include <string>
#include <vector>

#include "bot/conversation/engine.hpp"
#include "bot/conversation/store.hpp"
#include "bot/http/http.hpp"
#include "bot/media/media_store.hpp"
#include "bot/ports.hpp"
#include "bot/staff/inbox_store.hpp"
#include "web/inbox/inbox_map.hpp"
#include "web/inbox/staff_desk.hpp"

namespace bb::web {

class TicketView {
public:
  TicketView(StaffDesk& desk, Engine& engine, Store& store, InboxStore& inbox,
             media::MediaStore& media, const Clock& clock,
             const std::vector<std::string>& departments);

  HttpResponse show(const HttpRequest& req);   //!< GET /inbox/tickets/{n}
  HttpResponse act(const HttpRequest& req);    //!< POST /inbox/tickets/{n}/{action}
  HttpResponse photo(const HttpRequest& req);  //!< GET /inbox/media/{id}[/thumb]
  //! Draws the ticket's place on a map; null: coordinates only.
  void setMap(const InboxMap* map) { map_ = map; }

private:
  HttpResponse render(const Principal& p, std::int64_t number, const std::string& flash,
                      const std::string& error, int status);
  // Parts of the page.
  std::string head(const InboxTicket& row, const std::optional<CitizenRecord>& reporter) const;
  std::string details(const TicketRecord& t) const;
  std::string place(const TicketRecord& t) const;
  std::string thread(const TicketRecord& t) const;
  std::string trail(std::int64_t number) const;
  //! The ticket's reporter as the forms need them; nullopt: anonymized or unknown.
  std::optional<CitizenRecord> reporterOf(const TicketRecord& t) const;
  std::string replyForm(const TicketRecord& t, const std::optional<CitizenRecord>& citizen,
                        const std::string& csrf) const;
  std::string statusForms(const TicketRecord& t, const std::optional<CitizenRecord>& reporter,
                          const std::string& csrf) const;
  std::string assignForm(const InboxTicket& row, const std::string& csrf) const;
  std::string categoryForm(const TicketRecord& t, const std::string& csrf) const;
  // Actions: a redirect to the ticket on success, else the page with the error (`refuse`).
  HttpResponse refuse(const Principal& p, const TicketRecord& t, const std::string& error,
                      int status = 400);
  HttpResponse reply(const Principal& p, const TicketRecord& t, const Form& form);
  HttpResponse changeStatus(const Principal& p, const TicketRecord& t, const Form& form);
  HttpResponse note(const Principal& p, const TicketRecord& t, const Form& form);
  HttpResponse assign(const Principal& p, const TicketRecord& t, const Form& form);
  HttpResponse recategorize(const Principal& p, const TicketRecord& t, const Form& form);
  HttpResponse merge(const Principal& p, const TicketRecord& t, const Form& form);

  StaffDesk& desk_;
  Engine& engine_;
  Store& store_;
  InboxStore& inbox_;
  media::MediaStore& media_;
  const Clock& clock_;
  const std::vector<std::string>& departments_;
  const InboxMap* map_ = nullptr;
};

}  // namespace bb::web
