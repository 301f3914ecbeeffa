#include "bot/conversation/step_effects.hpp"

#include <variant>

#include "bot/cases/ticket_status.hpp"
#include "bot/conversation/citizen_message.hpp"
#include "bot/conversation/engine.hpp"
#include "bot/participation/participation.hpp"
#include "bot/subscriptions/subscriptions.hpp"

namespace bb {

Step::Step(const PendingEvent& pending_event, const InboundEvent& inbound, SysTime at)
    : pending(pending_event), event(inbound), now(at) {
  commit.event_id = pending.id;
  commit.pseudonym = pending.pseudonym;
  commit.now = now;
}

void Step::reply(std::string text, const std::vector<flows::Choice>& choices,
                 std::int64_t ticket_number, std::string follow_url, bool request_location) {
  commit.outbound.push_back(CitizenMessage::reply(citizen)
                                .text(std::move(text))
                                .choices(choices)
                                .aboutTicket(ticket_number)
                                .followUrl(std::move(follow_url))
                                .requestLocation(request_location)
                                .build());
}

namespace {

//! A defect report's ticket from the flow's draft; the number is taken by the caller.
NewTicket defectTicket(const flows::Draft& d, const FlowData& flows) {
  NewTicket ticket;
  ticket.category_id = d.category_id;
  ticket.department = d.department;
  if (ticket.department.empty()) {
    if (const auto* c = flows.category(d.category_id)) { ticket.department = c->department; }
  }
  ticket.district_id = d.district_id;
  ticket.status = kInitialTicketStatus;
  if (d.location) {
    ticket.lat = d.location->lat;
    ticket.lon = d.location->lon;
  }
  // A typed place nobody could confirm reaches staff marked as such.
  ticket.address_text = d.address_unconfirmed
                            ? flows.texts.render(flows::Lang::De, "address.unconfirmed",
                                                 {{"address", d.address_text}})
                            : d.address_text;
  ticket.description = d.description;
  ticket.extra_answer = d.extra_answer;
  for (const auto& id : d.photo_ids) {
    try {
      ticket.photo_media_ids.push_back(std::stoll(id));
    } catch (...) {
      // not a media row id: ignore
    }
  }
  return ticket;
}

std::string exportText(const EffectServices& s, const std::string& pseudonym, flows::Lang lang,
                       std::string link) {
  CitizenExport data;
  data.link = std::move(link);
  if (auto c = s.store.citizen(pseudonym); c && *c) { data.citizen = std::move(**c); }
  if (auto tickets = s.store.ticketsOf(pseudonym, 1000)) { data.tickets = std::move(*tickets); }
  if (auto messages = s.store.ticketMessagesOf(pseudonym, 1000)) {
    data.messages = std::move(*messages);
  }
  if (s.participation != nullptr) {
    data.participation = s.participation->exportSection(pseudonym, lang);
  }
  if (s.subscriptions != nullptr) {
    data.subscriptions =
        exportSubscriptions(*s.subscriptions, s.flows.texts, s.flows.topics, pseudonym, lang);
  }
  return s.replies.dataExport(lang, pseudonym, data);
}

//! One handler per effect kind (std::visit picks it).
struct EffectHandlers {
  Step& step;
  const EffectServices& s;

  void operator()(const flows::Reply& r) const {
    step.reply(r.text, r.choices, 0, {}, r.request_location);
    if (!r.choices.empty()) { step.last_choices = r.choices; }
  }

  //! The accepted notice: its version travels in next.consent_version (citizens row); the
  //! consent row for the purpose "service" is written in the same step transaction.
  void operator()(const flows::RecordConsent& c) const {
    step.commit.consents.push_back(NewConsent{kServicePurpose, c.version});
  }
  void operator()(const flows::LookupNearby&) const {}   // answered during the flow step
  void operator()(const flows::Geocode&) const {}        // answered during the flow step
  void operator()(const flows::ForgetCitizen&) const { step.forget = true; }
  void operator()(const flows::EraseData&) const { step.erase = true; }

  void operator()(const flows::CreateTicket& t) const {
    NewTicket ticket = defectTicket(t.draft, s.flows);
    const std::int64_t number = fileTicket(ticket);
    std::string follow_url;
    const std::string token = s.random.hex(16);
    ticket.follow_token_hash = Engine::followTokenHash(token);
    // A same-origin path: the web chat puts it on its own origin.
    if (step.event.channel == Channel::WebChat) { follow_url = "/chat/follow/" + token; }
    step.commit.tickets.push_back(std::move(ticket));
    auto menu = s.replies.mainMenu(step.lang);
    step.reply(s.replies.ticketCreated(step.lang, number), menu, number, std::move(follow_url));
    step.last_choices = std::move(menu);
  }

  void operator()(const flows::SendLetter& l) const {
    NewTicket ticket;
    ticket.kind = "letter";
    ticket.category_id = "letter";
    ticket.department = l.department;
    ticket.status = kInitialTicketStatus;
    ticket.description = l.text;
    const std::int64_t number = fileTicket(ticket);
    ticket.follow_token_hash = Engine::followTokenHash(s.random.hex(16));
    step.commit.tickets.push_back(std::move(ticket));
    auto menu = s.replies.mainMenu(step.lang);
    step.reply(s.replies.letterSent(step.lang, number), menu, number);
    step.last_choices = std::move(menu);
  }

  void operator()(const flows::FollowTicket& f) const {
    step.commit.follow_ticket_numbers.push_back(f.number);
    step.reply(s.replies.ticketFollowed(step.lang, f.number), s.replies.mainMenu(step.lang),
               f.number);
  }

  void operator()(const flows::QueryStatus& q) const {
    // Anyone may ask for a public status; content is never shown.
    auto found = s.store.ticketByNumber(q.number);
    const TicketRecord* ticket = found && *found ? &**found : nullptr;
    step.reply(s.replies.ticketStatus(step.lang, q.number, ticket));
  }

  void operator()(const flows::ListMyTickets&) const {
    static const std::vector<TicketRecord> kNone;
    auto mine = s.store.ticketsOf(step.pending.pseudonym, 10);
    const auto& tickets = mine ? *mine : kNone;
    if (tickets.empty()) {
      step.reply(s.replies.myTickets(step.lang, tickets));
      return;
    }
    auto choices = s.replies.myTicketChoices(step.lang, step.pending.pseudonym, tickets);
    step.reply(s.replies.myTickets(step.lang, tickets), choices);
    step.last_choices = std::move(choices);
  }

  //! A readable summary in the chat, and a single-use link to the complete file (JSON) that
  //! is valid for a day: every channel shows a link, and a WhatsApp document may not be JSON.
  void operator()(const flows::ExportData&) const {
    const std::string token = s.random.hex(16);
    step.commit.export_link = NewExportLink{exportTokenHash(token), step.now + kExportLinkLifetime};
    std::string base = s.public_url;
    while (!base.empty() && base.back() == '/') { base.pop_back(); }
    step.reply(exportText(s, step.pending.pseudonym, step.lang, base + exportLinkPath(token)),
               s.replies.mainMenu(step.lang));
  }

  void operator()(const flows::Subscribe& sub) const {
    for (const auto& topic : sub.topics) {
      step.commit.subscription_changes.push_back(
          {SubscriptionChange::Op::Subscribe, topic, sub.notice_version});
    }
  }

  void operator()(const flows::Unsubscribe& unsub) const {
    for (const auto& topic : unsub.topics) {
      step.commit.subscription_changes.push_back({SubscriptionChange::Op::Unsubscribe, topic, 0});
    }
  }

  //! Subscriptions end either way (with their consent); "everything" also sets the citizen's
  //! notifications_stopped_at, which ticket news, staff replies and notices respect.
  void operator()(const flows::StopNotifications& stop) const {
    step.commit.subscription_changes.push_back({SubscriptionChange::Op::UnsubscribeAll, {}, 0});
    if (stop.everything) {
      step.commit.stop_notifications = true;
      if (!step.citizen.notifications_stopped_at) { step.citizen.notifications_stopped_at = step.now; }
    }
  }

  void operator()(const flows::StartNotifications&) const {
    step.commit.stop_notifications = false;
    step.citizen.notifications_stopped_at.reset();
  }

  void operator()(const flows::PostToTicket& p) const {
    NewTicketMessage message{p.number, p.text, {}};
    for (const auto& id : p.media_ids) {
      try {
        message.media_ids.push_back(std::stoll(id));
      } catch (...) {
        // not a media row id: ignore
      }
    }
    step.commit.ticket_messages.push_back(std::move(message));
  }

  void operator()(const flows::SubmitProposal& e) const { participate(e); }
  void operator()(const flows::BrowseProposals& e) const { participate(e); }
  void operator()(const flows::ShowProposal& e) const { participate(e); }
  void operator()(const flows::SupportProposal& e) const { participate(e); }
  void operator()(const flows::CommentProposal& e) const { participate(e); }

private:
  //! Numbers a ticket of this step's sender; returns the number.
  std::int64_t fileTicket(NewTicket& ticket) const {
    auto number = s.reserve_ticket_number();
    if (!number) {
      // Without a number there is no ticket and no answer: the step is not committed.
      step.failed = number.error();
      return 0;
    }
    ticket.number = *number;
    ticket.channel = step.event.channel;
    ticket.reporter = step.pending.pseudonym;
    return ticket.number;
  }

  template <typename Effect>
  void participate(const Effect& effect) const {
    if (s.participation == nullptr) { return; }
    // Idempotent per event id, so a re-run after a crash before the commit adds nothing.
    auto answer = s.participation->answer(
        effect, Participation::Citizen{step.pending.pseudonym, step.pending.id, step.lang, step.now});
    step.reply(answer.text, answer.choices);
    if (!answer.choices.empty()) { step.last_choices = std::move(answer.choices); }
  }
};

}  // namespace

void applyEffects(const std::vector<flows::Effect>& effects, Step& step,
                  const EffectServices& services) {
  const EffectHandlers handlers{step, services};
  for (const auto& effect : effects) { std::visit(handlers, effect); }
}

}  // namespace bb
