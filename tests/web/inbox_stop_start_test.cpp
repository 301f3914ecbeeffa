// "stop" -> everything through the real engine, the store and the staff inbox: ticket news and
// staff replies reach no outbox row for a citizen who stopped (reporter or follower) while
// other followers still hear them, staff see "Benachrichtigungen abbestellt", what the citizen
// asks for still answers, and "start" turns it back on. "Subscriptions only" keeps ticket news.

#include "web/inbox_fixture.hpp"

namespace bb::test {
namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

//! `user` reports near ticket `number` and joins it when it is offered as a duplicate.
void join(EngineHarness& h, const std::string& user, std::int64_t number) {
  h.onboard(user);
  h.choice(user, "report");
  h.choice(user, "cat:muell");
  h.location(user, GeoPoint{kMarktplatz.lat + 0.0001, kMarktplatz.lon});
  h.choice(user, "dup:" + std::to_string(number));
  h.replies(user);
}

//! "stop", then the answer `choice_id` ("stop:all" / "stop:subscriptions"); returns the replies.
std::string stop(EngineHarness& h, const std::string& user, const std::string& choice_id) {
  h.text(user, "stop");
  const std::string question = h.replyText(user);
  REQUIRE(contains(question, h.text("stop.question")));
  h.choice(user, choice_id);
  return h.replyText(user);
}

struct StoppedTicket {
  InboxFixture f;
  std::int64_t number = 0;
  std::string cookie;
  std::string csrf;
  std::string base;

  explicit StoppedTicket(Backend backend = Backend::Sqlite) : f(backend) {
    number = f.report("rita", "muell", "Sperrmüll am Weg");
    join(f.h, "fritz", number);
    join(f.h, "greta", number);
    f.account("anna", "agent", {"ordnungsamt"});
    cookie = f.login("anna");
    csrf = f.csrf(cookie);
    base = "/inbox/tickets/" + std::to_string(number);
  }

  std::int64_t outbox(const std::string& user, const std::string& kind) {
    return f.count("SELECT count(*) FROM outbox WHERE kind = '" + kind + "' AND pseudonym = '" +
                   f.h.pseudonym(user) + "'");
  }
  int changeStatus(const std::string& status, const std::string& note) {
    return f.post(cookie, base + "/status",
                  "status=" + status + "&note=" + urlEncode(note) + "&csrf=" + csrf)
        .status;
  }
  HttpResponse reply(const std::string& text) {
    return f.post(cookie, base + "/reply", "text=" + urlEncode(text) + "&csrf=" + csrf);
  }
  std::string page() { return f.call("GET", base, cookie).body; }
};

}  // namespace

TEST_CASE_TEMPLATE("stop everything: no status news or staff reply reaches a stopped citizen, staff see it", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  StoppedTicket t(B::backend);
  auto& h = t.f.h;
  CHECK(contains(stop(h, "rita", "stop:all"), h.text("stop.all_done")));
  CHECK(contains(stop(h, "greta", "stop:all"), h.text("stop.all_done")));
  CHECK(t.f.count("SELECT count(*) FROM citizens WHERE notifications_stopped_at IS NOT NULL") == 2);

  // A status change: fritz hears it, the reporter and the stopped follower do not.
  REQUIRE(t.changeStatus("in_bearbeitung", "Trupp ist unterwegs.") == 303);
  CHECK(t.outbox("rita", "status") == 0);
  CHECK(t.outbox("greta", "status") == 0);
  CHECK(t.outbox("fritz", "status") == 1);
  CHECK(h.replies("rita").empty());
  CHECK(h.replies("greta").empty());
  CHECK(h.replies("fritz").size() == 1);
  CHECK(t.f.count("SELECT count(*) FROM ticket_events WHERE kind = 'notifications_withheld' "
                  "AND body = '2'") == 1);

  // A staff reply: stored in the thread, nothing queued, no reply window opened.
  auto r = t.reply("Wir schauen uns das an.");
  REQUIRE(r.status == 303);
  CHECK(contains(InboxFixture::header(r, "Location"), "ok=reply_unsent"));
  CHECK(t.outbox("rita", "staff") == 0);
  CHECK(h.replies("rita").empty());
  CHECK(t.f.count("SELECT count(*) FROM ticket_events WHERE kind = 'staff_reply' AND "
                  "status = 'withheld' AND body = 'Wir schauen uns das an.'") == 1);
  CHECK(t.f.count("SELECT count(*) FROM reply_windows WHERE pseudonym = '" + h.pseudonym("rita") +
                  "'") == 0);
  CHECK(t.f.count("SELECT count(*) FROM audit_log WHERE action = 'reply' AND detail LIKE "
                  "'%sent=no%'") == 1);

  // The ticket view says so: in the head, on the reply form, on the status form, in the thread.
  const std::string page = t.page();
  CHECK(contains(page, "<dd class=\"notifications-stopped\">Benachrichtigungen abbestellt"));
  CHECK(contains(page, "nicht per Chat zugestellt"));
  CHECK(contains(page, "Im Verlauf speichern (wird nicht gesendet)"));
  CHECK(contains(page, "erhält die Statusänderung nicht"));
  CHECK(contains(page, "Nicht benachrichtigt: 2 Personen haben Benachrichtigungen abbestellt"));
  CHECK(contains(page, "Antwort von anna – nicht per Chat gesendet"));

  // What the citizen asks for still answers.
  h.text("rita", "status " + std::to_string(t.number));
  CHECK(contains(h.replyText("rita"), std::to_string(t.number)));
  h.text("rita", "meine daten");
  CHECK_FALSE(h.replies("rita").empty());
  h.text("rita", "hilfe");
  CHECK(contains(h.replyText("rita"), "„start“"));
}

TEST_CASE_TEMPLATE("stop everything: start turns ticket news and staff replies back on", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  StoppedTicket t(B::backend);
  auto& h = t.f.h;
  stop(h, "rita", "stop:all");
  REQUIRE(t.changeStatus("in_bearbeitung", "") == 303);
  CHECK(t.outbox("rita", "status") == 0);

  h.text("rita", "start");
  CHECK(contains(h.replyText("rita"), h.text("start.done")));
  CHECK(t.f.count("SELECT count(*) FROM citizens WHERE notifications_stopped_at IS NOT NULL") == 0);
  CHECK_FALSE(contains(t.page(), "notifications-stopped"));  // facts, reply and status forms

  auto r = t.reply("Jetzt wieder per Chat.");
  REQUIRE(r.status == 303);
  CHECK(contains(InboxFixture::header(r, "Location"), "ok=reply"));
  CHECK_FALSE(contains(InboxFixture::header(r, "Location"), "reply_unsent"));
  auto replies = h.replies("rita");
  REQUIRE(replies.size() == 1);
  CHECK(contains(replies[0].text, "Jetzt wieder per Chat."));
  REQUIRE(t.changeStatus("erledigt", "Fertig") == 303);
  CHECK(t.outbox("rita", "status") == 1);

  // A second "start" has nothing to turn on: the menu as before.
  h.text("rita", "start");
  CHECK(contains(h.replyText("rita"), h.text("menu.prompt")));
}

TEST_CASE_TEMPLATE("stop subscriptions only: ticket news and staff replies keep coming", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  StoppedTicket t(B::backend);
  auto& h = t.f.h;
  CHECK(contains(stop(h, "rita", "stop:subscriptions"), h.text("stop.subscriptions_done")));
  CHECK(t.f.count("SELECT count(*) FROM citizens WHERE notifications_stopped_at IS NOT NULL") == 0);
  REQUIRE(t.changeStatus("in_bearbeitung", "Trupp ist unterwegs.") == 303);
  CHECK(t.outbox("rita", "status") == 1);
  REQUIRE(t.reply("Wir schauen uns das an.").status == 303);
  CHECK(t.outbox("rita", "staff") == 1);
  CHECK_FALSE(contains(t.page(), "Benachrichtigungen abbestellt"));
  CHECK_FALSE(contains(t.page(), "notifications-stopped"));
}

TEST_CASE_TEMPLATE("stop everything: news still waiting in the outbox is withheld, not sent later", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  StoppedTicket t(B::backend);
  auto& h = t.f.h;
  REQUIRE(t.changeStatus("in_bearbeitung", "Trupp ist unterwegs.") == 303);
  REQUIRE(t.reply("Wir schauen uns das an.").status == 303);
  REQUIRE(t.f.count("SELECT count(*) FROM outbox WHERE status = 'queued' AND kind IN ('status', "
                    "'staff') AND pseudonym = '" + h.pseudonym("rita") + "'") == 2);
  stop(h, "rita", "stop:all");
  CHECK(t.f.count("SELECT count(*) FROM outbox WHERE status = 'withheld' AND pseudonym = '" +
                  h.pseudonym("rita") + "' AND error = 'notifications_stopped'") == 2);
  // Chat replies to the citizen stay queued; only news were withheld.
  CHECK(t.f.count("SELECT count(*) FROM outbox WHERE status = 'withheld' AND kind = 'reply'") == 0);
  // The other follower's news is untouched.
  CHECK(t.f.count("SELECT count(*) FROM outbox WHERE status = 'queued' AND kind = 'status' AND "
                  "pseudonym = '" + h.pseudonym("fritz") + "'") == 1);
  CHECK(contains(t.page(), "nicht gesendet (Benachrichtigungen abbestellt)"));
}

}  // namespace bb::test
