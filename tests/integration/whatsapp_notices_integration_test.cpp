// Issue 22, end to end: every kind of notice reaches a WhatsApp citizen whose 24-hour window has
// closed. The real `buergerbox serve` (tests/reliability/rig.hpp) talks to the fake Graph API;
// the citizen writes signed webhooks with real-format numbers and wamids; staff act over HTTP in
// the inbox (tests/integration/staff_desk.hpp). "The clock moved past 24 hours" is the citizen's
// last message aged in the database (citizens.last_inbound_at, read by the sender per send).
//
// Per kind: the citizen does the thing by chat; the window is aged; staff act (or the reminder
// pass runs); exactly one template of the catalogue's name for that kind goes out, naming the
// right subject, with the catalogue's parameter count, valid per Meta's OpenAPI description; the
// text waits ('held'). The tap on the template's button ("show_held") brings the held text,
// exactly once, and no "not understood"; a second tap brings nothing again.

#include <doctest/doctest.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <functional>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bot/http/http.hpp"
#include "bot/text/local_time.hpp"
#include "support/privacy_checks.hpp"
#include "tests/integration/staff_desk.hpp"
#include "tests/integration/whatsapp_openapi.hpp"
#include "tests/reliability/rig.hpp"
#include "tests/support/openapi_validator.hpp"
#include "tests/webhooks/whatsapp_payloads.hpp"

namespace {

namespace payload = bb::test::wa;
using bb::test::Citizen;
using bb::test::Desk;
using bb::test::FakeApis;
using bb::test::Rig;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kShowHeld = "show_held";
constexpr const char* kCampaign = "Bürgerhaushalt 2027";  // the demo campaign (config/demo.json)

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

//! The catalogue entry of `kind` in the shipped config/whatsapp_templates.json.
json catalogueEntry(const std::string& kind) {
  const json all = bb::tests::openapi::loadJsonFile(std::string(BB_SOURCE_DIR) +
                                                    "/config/whatsapp_templates.json");
  REQUIRE(all.is_array());
  for (const json& e : all) {
    if (e.value("kind", "") == kind) { return e; }
  }
  FAIL("no template for " << kind << " in config/whatsapp_templates.json");
  return {};
}

//! How many distinct placeholders {{n}} the German body of `kind`'s template has.
std::size_t placeholderCount(const std::string& kind) {
  const std::string body = catalogueEntry(kind)["languages"]["de"]["body"];
  std::set<std::string> seen;
  const std::regex re(R"(\{\{([0-9]+)\}\})");
  for (auto it = std::sregex_iterator(body.begin(), body.end(), re); it != std::sregex_iterator();
       ++it) {
    seen.insert((*it)[1]);
  }
  return seen.size();
}

//! A WhatsApp citizen writing to the rig's server like Meta delivers it: signed notifications,
//! real-format wamids, the number as wa_id.
class WaCitizen {
public:
  WaCitizen(Rig& rig, std::string number, unsigned serial_base)
      : rig_(rig), number_(std::move(number)), serial_(serial_base) {
    citizen_.channel = "whatsapp";
    citizen_.user_id = number_;
    citizen_.recipient = number_;
  }

  const std::string& number() const { return number_; }
  std::string pseudonym() const { return rig_.pseudonym(citizen_); }

  void post(const json& message) {
    const std::string body = payload::envelope(number_, json::array({message}));
    CHECK(rig_.request("POST", "/webhooks/whatsapp",
                       {{"X-Hub-Signature-256", payload::signature(body, bb::test::kRigWaSecret)}},
                       body) == 200);
    REQUIRE_MESSAGE(rig_.settle(20s), rig_.server->log());
  }
  void says(const std::string& text) { post(payload::textMessage(number_, wamid(), ts(), text)); }
  void taps(const std::string& id, const std::string& title = "x") {
    post(payload::buttonReply(number_, wamid(), ts(), id, title));
  }
  void picks(const std::string& id, const std::string& title = "x") {
    post(payload::listReply(number_, wamid(), ts(), id, title));
  }
  void sharesLocation(double lat, double lon) {
    post(payload::locationMessage(number_, wamid(), ts(), lat, lon));
  }
  //! Taps the quick-reply button of the template with wamid `template_wamid`.
  void tapsTemplateButton(const std::string& template_wamid) {
    post(payload::templateButton(number_, wamid(), ts(), kShowHeld, "Nachricht anzeigen",
                                 template_wamid));
  }
  void onboards() {
    says("Hallo");
    taps("accept", "Einverstanden");
  }

  //! Everything the fake Graph API accepted for this citizen, in order.
  std::vector<FakeApis::Delivery> received() { return rig_.apis.deliveriesTo(number_); }
  //! How many messages so far show `part` in their text (text body or interactive body).
  int count(const std::string& part) {
    int n = 0;
    for (const auto& d : received()) {
      if (has(d.text, part)) { ++n; }
    }
    return n;
  }

  //! "The clock moved past 24 hours": the citizen's last message is `age` old.
  void ageWindow(std::chrono::hours age = 25h) {
    const auto at = nowMs() - std::chrono::duration_cast<std::chrono::milliseconds>(age).count();
    rig_.database.execute(bb::test::withLiteral(
        "UPDATE citizens SET last_inbound_at = " + std::to_string(at) + " WHERE pseudonym = ?",
        pseudonym()));
    REQUIRE(rig_.scalar("SELECT count(*) FROM citizens WHERE last_inbound_at = " +
                            std::to_string(at) + " AND pseudonym = ?",
                        pseudonym()) == 1);
  }

  std::int64_t outboxRows(const std::string& status) {
    return rig_.scalar("SELECT count(*) FROM outbox WHERE status = '" + status +
                           "' AND pseudonym = ?",
                       pseudonym());
  }

private:
  std::string wamid() { return bb::test::realisticWamid(number_, serial_++); }
  static std::int64_t ts() { return std::time(nullptr); }

  Rig& rig_;
  std::string number_;
  unsigned serial_;
  Citizen citizen_;
};

struct Scene {
  FakeApis apis;
  Rig rig;
  Desk desk;

  explicit Scene(bb::test::Backend backend, const std::map<std::string, std::string>& env = {})
      : rig(apis, backend) {
    rig.extra_env = env;
    // The catalogue the project ships (config/demo.json names it too).
    rig.extra_env["BUERGERBOX_WHATSAPP_TEMPLATES_FILE"] =
        std::string(BB_SOURCE_DIR) + "/config/whatsapp_templates.json";
    bb::test::addStaff(rig);
    REQUIRE_MESSAGE(rig.start(), rig.server->log());
    desk.port = rig.port;
    desk.login();
  }

  //! Polls until `done` or `timeout`; false on timeout.
  bool waitFor(const std::function<bool()>& done, std::chrono::seconds timeout = 20s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) { return false; }
      std::this_thread::sleep_for(50ms);
    }
    return rig.settle(timeout);
  }
};

bool isTemplate(const FakeApis::Delivery& d) {
  const json body = json::parse(d.body, nullptr, false);
  return body.is_object() && body.value("type", "") == "template";
}

//! The templates among `all` from index `from` on.
std::vector<FakeApis::Delivery> templatesFrom(const std::vector<FakeApis::Delivery>& all,
                                              std::size_t from) {
  std::vector<FakeApis::Delivery> out;
  for (std::size_t i = from; i < all.size(); ++i) {
    if (isTemplate(all[i])) { out.push_back(all[i]); }
  }
  return out;
}

//! The text parameters of the template's body component.
std::vector<std::string> bodyParameters(const json& body) {
  std::vector<std::string> out;
  for (const json& c : body["template"].value("components", json::array())) {
    if (c.value("type", "") != "body") { continue; }
    for (const json& p : c.value("parameters", json::array())) {
      out.push_back(p.value("text", ""));
    }
  }
  return out;
}

/// What the notice of one kind must look like on the wire.
struct Expected {
  std::string kind;   //!< catalogue kind
  std::string name;   //!< template name (shipped catalogue)
  //! Checks of the body parameters, by position: the parameter must contain the text.
  std::vector<std::string> params_contain;
  std::string held_words;  //!< distinctive words of the held text
};

//! Step 4: exactly one template went out since `before`, the one of `e.kind`, and the text waits.
//! Returns the template's wamid (for the tap).
std::string checkTemplate(WaCitizen& citizen, std::size_t before, const Expected& e) {
  const auto all = citizen.received();
  const auto templates = templatesFrom(all, before);
  INFO("sent since the window closed: " << [&] {
    std::string s;
    for (std::size_t i = before; i < all.size(); ++i) { s += "\n  " + all[i].body; }
    return s;
  }());
  REQUIRE(templates.size() == 1);
  const json body = json::parse(templates.front().body);
  CHECK(body["template"]["name"] == e.name);
  CHECK(catalogueEntry(e.kind)["name"] == e.name);
  CHECK(body["template"]["language"]["code"] == "de");
  const auto params = bodyParameters(body);
  CHECK(params.size() == placeholderCount(e.kind));
  for (std::size_t i = 0; i < e.params_contain.size(); ++i) {
    INFO("{{" << i + 1 << "}}");
    if (i >= params.size()) {
      FAIL_CHECK("missing, expected to contain " << e.params_contain[i]);
      continue;
    }
    CHECK(has(params[i], e.params_contain[i]));
  }
  // The quick-reply button brings the held text.
  bool button = false;
  for (const json& c : body["template"].value("components", json::array())) {
    if (c.value("type", "") == "button" && c.value("sub_type", "") == "quick_reply") {
      button = c["parameters"][0].value("payload", "") == kShowHeld;
    }
  }
  CHECK(button);
  CHECK(body["to"] == citizen.number());
  for (const auto& v : bb::tests::openapi::validate(bb::test::whatsappSendSchemas(), body,
                                                    "#/components/schemas/Message")) {
    FAIL_CHECK("schema violation: " << v);
  }
  // The text itself did not go out: it waits.
  CHECK(citizen.count(e.held_words) == 0);
  CHECK(citizen.outboxRows("held") >= 1);
  return templates.front().id;
}

//! Step 5: the tap brings the held text exactly once, nothing stays held, no second template,
//! no "not understood"; a second tap brings nothing held again.
void checkTap(WaCitizen& citizen, const std::string& template_wamid, const Expected& e) {
  const std::size_t before = citizen.received().size();
  citizen.tapsTemplateButton(template_wamid);
  CHECK(citizen.count(e.held_words) == 1);
  CHECK(citizen.outboxRows("held") == 0);
  const auto after = citizen.received();
  CHECK(templatesFrom(after, before).empty());
  for (std::size_t i = before; i < after.size(); ++i) {
    CHECK_FALSE(has(after[i].text, "nicht verstanden"));
  }
  citizen.tapsTemplateButton(template_wamid);
  CHECK(citizen.count(e.held_words) == 1);
  CHECK(templatesFrom(citizen.received(), before).empty());
  CHECK(citizen.outboxRows("held") == 0);
}

//! A defect report by chat (pothole, shared location, no photo); returns the ticket number.
std::int64_t reportsPothole(Scene& s, WaCitizen& c) {
  c.onboards();
  c.taps("report", "Schaden melden");
  c.picks("cat:schlagloch", "Schlagloch");
  c.sharesLocation(48.0777, 11.9706);
  c.taps("skip", "Überspringen");  // no photo
  c.says("etwa 30 cm breit");       // the category's extra question
  c.says("Tiefes Loch vor der Apotheke");
  c.taps("confirm", "Absenden");
  REQUIRE(s.rig.scalar("SELECT count(*) FROM tickets") == 1);
  return s.rig.scalar("SELECT number FROM tickets");
}

//! A proposal submitted by chat in the demo campaign's collecting phase; returns its id.
std::int64_t submitsProposal(Scene& s, WaCitizen& c, const std::string& title) {
  c.taps("participation", "Bürgerhaushalt");
  c.taps("prop:new", "Vorschlag einreichen");
  c.says(title);
  c.says("Beschreibung: " + title + " für alle.");
  for (int i = 0; i < 4; ++i) { c.taps("skip", "Überspringen"); }  // cost, topic, place, photo
  c.taps("confirm", "Absenden");
  const auto id = s.rig.scalar("SELECT id FROM proposals WHERE title = ?", title);
  REQUIRE(id > 0);
  return id;
}

//! Staff move the demo campaign into its supporting phase (inbox campaign form).
void campaignToSupporting(Scene& s) {
  const auto id = s.rig.scalar("SELECT id FROM campaigns WHERE title = ?", std::string(kCampaign));
  REQUIRE(id > 0);
  const auto now = std::chrono::system_clock::now();
  const auto day = [&](int d) { return bb::localIsoDate(now + std::chrono::hours(24) * d); };
  s.desk.post("/inbox/beteiligung", "/inbox/beteiligung/kampagne/" + std::to_string(id),
              "title=" + bb::urlEncode(kCampaign) + "&description=" + bb::urlEncode("Demo") +
                  "&max_proposals=3&threshold=50&topics=" + bb::urlEncode("Verkehr, Kultur") +
                  "&collecting_from=" + day(-3) + "&supporting_from=" + day(-1) +
                  "&review_from=" + day(10) + "&decision_from=" + day(20) +
                  "&implementation_from=" + day(30) + "&closed_from=" + day(300));
}

void subscribesToCouncil(WaCitizen& c) {
  c.onboards();
  c.says("abos");
  c.taps("sub:stadtrat", "Stadtrat");
  CHECK(c.count("Abonniert: Stadtrat") == 1);
}

}  // namespace

TEST_CASE_TEMPLATE("whatsapp notices: ticket status change after 24 hours – template ticket_status, tap, the note follows once", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Scene s(B::backend);
  WaCitizen c(s.rig, "4917612345678", 0x4A6599);
  const auto number = reportsPothole(s, c);
  c.ageWindow();
  const std::size_t before = c.received().size();
  s.desk.status(number, "in_bearbeitung", "Der Bautrupp kommt am Montag mit Kaltasphalt");
  REQUIRE(s.rig.settle(20s));
  const Expected e{"ticket_status", "buergerbox_ticket_status",
                   {std::to_string(number), "in Bearbeitung"},
                   "Der Bautrupp kommt am Montag mit Kaltasphalt"};
  const std::string wamid = checkTemplate(c, before, e);
  checkTap(c, wamid, e);
}

TEST_CASE_TEMPLATE("whatsapp notices: staff reply after 24 hours – template staff_message, tap, the reply follows once", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Scene s(B::backend);
  WaCitizen c(s.rig, "4915223456789", 0x51B2C0);
  const auto number = reportsPothole(s, c);
  c.ageWindow();
  const std::size_t before = c.received().size();
  s.desk.reply(number, "Bitte schicken Sie uns ein Foto mit einem Zollstock daneben");
  REQUIRE(s.rig.settle(20s));
  const Expected e{"staff_message", "buergerbox_staff_message", {std::to_string(number)},
                   "Bitte schicken Sie uns ein Foto mit einem Zollstock daneben"};
  const std::string wamid = checkTemplate(c, before, e);
  checkTap(c, wamid, e);
}

TEST_CASE_TEMPLATE("whatsapp notices: proposal rejected after 24 hours – template proposal_moderated, tap, the reason follows once", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Scene s(B::backend);
  WaCitizen c(s.rig, "4916098765432", 0x63D1E4);
  c.onboards();
  const std::string title = "Trinkbrunnen am Klosterseeufer";
  const auto id = submitsProposal(s, c, title);
  CHECK(s.rig.scalar("SELECT count(*) FROM tickets") == 0);
  c.ageWindow();
  const std::size_t before = c.received().size();
  s.desk.post("/inbox/beteiligung", "/inbox/beteiligung/vorschlag/" + std::to_string(id) + "/reject",
              "reason=" + bb::urlEncode("Das Ufer gehört dem Landkreis, nicht der Stadt"));
  REQUIRE(s.rig.settle(20s));
  const Expected e{"proposal_moderated", "buergerbox_proposal_moderated", {kCampaign, title},
                   "Das Ufer gehört dem Landkreis, nicht der Stadt"};
  const std::string wamid = checkTemplate(c, before, e);
  checkTap(c, wamid, e);
}

TEST_CASE_TEMPLATE("whatsapp notices: outcome of a supported proposal after 24 hours reaches a participant with no ticket – template proposal_outcome, tap, the outcome follows once", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Scene s(B::backend);
  // Someone else's proposal, published while the campaign collects.
  WaCitizen author(s.rig, "4917798765432", 0x7A0011);
  author.onboards();
  const std::string title = "Radweg zur Realschule";
  const auto id = submitsProposal(s, author, title);
  s.desk.post("/inbox/beteiligung",
              "/inbox/beteiligung/vorschlag/" + std::to_string(id) + "/publish", "public_address=");
  campaignToSupporting(s);

  // The participant only supports it: WhatsApp, no ticket.
  WaCitizen c(s.rig, "4915734567890", 0x7B2233);
  c.onboards();
  c.taps("participation", "Bürgerhaushalt");
  c.picks("prop:list:new", "Neueste");
  c.picks("prop:" + std::to_string(id), title);
  c.taps("prop:support", "Unterstützen");
  CHECK(c.count("Danke für Ihre Unterstützung") == 1);
  CHECK(s.rig.scalar("SELECT count(*) FROM proposal_supports WHERE pseudonym = ?",
                     c.pseudonym()) == 1);
  CHECK(s.rig.scalar("SELECT count(*) FROM tickets") == 0);

  c.ageWindow();
  const std::size_t before = c.received().size();
  s.desk.post("/inbox/beteiligung",
              "/inbox/beteiligung/vorschlag/" + std::to_string(id) + "/outcome",
              "stage=committee&decision=accepted&text=" +
                  bb::urlEncode("Der Ausschuss gibt 80.000 Euro für den Radweg frei"));
  REQUIRE(s.rig.settle(20s));
  const Expected e{"proposal_outcome", "buergerbox_proposal_outcome", {kCampaign, title, "angenommen"},
                   "Der Ausschuss gibt 80.000 Euro für den Radweg frei"};
  const std::string wamid = checkTemplate(c, before, e);
  checkTap(c, wamid, e);
}

TEST_CASE_TEMPLATE("whatsapp notices: subscription reminder reaches a passive subscriber – template subscription_reminder, tap, the reminder follows once", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Scene s(B::backend);
  WaCitizen c(s.rig, "4917623456781", 0x8C4455);
  subscribesToCouncil(c);
  // Passive for 13 months: subscribed then, silent since (config: reminder after 12 months).
  const std::int64_t long_ago = nowMs() - 13LL * 30 * 24 * 3600 * 1000;
  s.rig.database.execute(bb::test::withLiteral(
      "UPDATE sub_subscriptions SET created_at = " + std::to_string(long_ago) +
          " WHERE pseudonym = ?",
      c.pseudonym()));
  REQUIRE(s.rig.scalar("SELECT count(*) FROM sub_subscriptions WHERE created_at = " +
                           std::to_string(long_ago) + " AND pseudonym = ?",
                       c.pseudonym()) == 1);
  c.ageWindow(std::chrono::hours(13 * 30 * 24));
  const std::size_t before = c.received().size();
  // The reminder pass of `serve` (subscription_retention) runs first_pass_seconds after a start.
  REQUIRE(s.rig.settle(20s));
  REQUIRE(s.rig.server->stop(SIGTERM) == 0);
  s.rig.extra_env["BUERGERBOX_SUBSCRIPTIONS_FIRST_PASS_SECONDS"] = "0";
  REQUIRE_MESSAGE(s.rig.start(), s.rig.server->log());
  const bool reminded = s.waitFor([&] {
    return s.rig.scalar("SELECT count(*) FROM sub_subscriptions WHERE reminded_at IS NOT NULL") > 0;
  });
  REQUIRE_MESSAGE(reminded, "the subscription reminder pass did not run");
  REQUIRE(s.waitFor([&] { return templatesFrom(c.received(), before).size() >= 1; }));
  const Expected e{"subscription_reminder", "buergerbox_subscription_reminder", {"Stadtrat"},
                   "lange nichts von uns gelesen"};
  const std::string wamid = checkTemplate(c, before, e);
  checkTap(c, wamid, e);
}

TEST_CASE_TEMPLATE("whatsapp notices: broadcast after 24 hours – template broadcast per topic, tap, the broadcast follows once", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  Scene s(B::backend);
  WaCitizen c(s.rig, "4916234567812", 0x9D6677);
  subscribesToCouncil(c);
  c.ageWindow();
  const std::size_t before = c.received().size();
  const std::string title = "Sitzung zum Haushalt";
  const std::string location =
      s.desk.post("/inbox/rundschreiben", "/inbox/rundschreiben",
                  "topic=stadtrat&title=" + bb::urlEncode(title) + "&body=" +
                      bb::urlEncode("Der Stadtrat tagt am Donnerstag um 18 Uhr im Rathaussaal"));
  REQUIRE(has(location, "/inbox/rundschreiben/"));
  s.desk.post(location, location + "/send", "");
  REQUIRE(s.waitFor([&] {
    return s.rig.scalar("SELECT count(*) FROM outbox WHERE kind = 'broadcast' AND pseudonym = ?",
                        c.pseudonym()) > 0;
  }));
  const Expected e{"broadcast", "buergerbox_broadcast_topic", {"Stadtrat", title},
                   "Der Stadtrat tagt am Donnerstag um 18 Uhr im Rathaussaal"};
  const std::string wamid = checkTemplate(c, before, e);
  checkTap(c, wamid, e);
}
