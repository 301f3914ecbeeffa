// One test per row of the participation table (flows/participation.cpp), the phase rules and
// the phase computation.

#include "flows/participation.hpp"

#include "flows/machine.hpp"
#include "tests/flows/flow_test_support.hpp"

namespace bb::flows::testing {

namespace {

struct CampaignFixture : Fixture {
  ParticipationContext campaign;

  explicit CampaignFixture(Phase phase = Phase::Collecting) {
    campaign.campaign_id = 7;
    campaign.title = "Bürgerhaushalt 2027";
    campaign.phase = phase;
    campaign.max_proposals_per_citizen = 2;
    campaign.support_threshold = 10;
    campaign.topics = {"Verkehr", "Grün"};
    campaign.max_title_chars = 80;
    campaign.max_description_chars = 1500;
    ctx.participation = &campaign;
  }
};

Draft proposalDraft() {
  Draft d;
  d.proposal_title = "Mehr Bänke am Klostersee";
  d.description = "Am Ufer fehlen Sitzplätze.";
  return d;
}

Draft browsing(std::int64_t id, const std::string& order = "new", int page = 0) {
  Draft d;
  d.proposal_id = id;
  d.proposal_order = order;
  d.proposal_page = page;
  return d;
}

constexpr Phase kAllPhases[] = {Phase::Upcoming, Phase::Collecting,     Phase::Supporting,
                                Phase::Review,   Phase::Decision,       Phase::Implementation,
                                Phase::Closed};

}  // namespace

// ---- phases ----

TEST_CASE("participation: the phase follows the dates, each phase lasting until the next") {
  PhaseDates d;
  const SysTime base = t0();
  d.collecting_from = base + 24h;
  d.supporting_from = base + 48h;
  d.review_from = base + 72h;
  d.decision_from = base + 96h;
  d.implementation_from = base + 120h;
  d.closed_from = base + 144h;
  CHECK(datesOrdered(d));
  CHECK(phaseAt(d, base) == Phase::Upcoming);
  CHECK(phaseAt(d, base + 24h - 1s) == Phase::Upcoming);
  CHECK(phaseAt(d, base + 24h) == Phase::Collecting);
  CHECK(phaseAt(d, base + 48h) == Phase::Supporting);
  CHECK(phaseAt(d, base + 72h) == Phase::Review);
  CHECK(phaseAt(d, base + 96h) == Phase::Decision);
  CHECK(phaseAt(d, base + 120h) == Phase::Implementation);
  CHECK(phaseAt(d, base + 144h) == Phase::Closed);
  d.review_from = d.supporting_from;
  CHECK_FALSE(datesOrdered(d));
}

TEST_CASE("participation: what each phase allows") {
  for (const Phase p : kAllPhases) {
    INFO(toString(p));
    CHECK(phaseFromString(toString(p)) == p);
    CHECK(canSubmit(p) == (p == Phase::Collecting));
    CHECK(canSupport(p) == (p == Phase::Supporting));
    CHECK(canComment(p) == (p == Phase::Supporting));
    CHECK(canBrowse(p) == (p != Phase::Upcoming));
  }
  CHECK_FALSE(phaseFromString("balloting").has_value());
}

TEST_CASE("participation: costs are whole euros with separators and a currency") {
  CHECK(parseEuros("1500") == 1500);
  CHECK(parseEuros(" 1.500 € ") == 1500);
  CHECK(parseEuros("15 000 EUR") == 15000);
  CHECK(parseEuros("20000 Euro") == 20000);
  CHECK_FALSE(parseEuros("viel").has_value());
  CHECK_FALSE(parseEuros("12,50").has_value());
  CHECK_FALSE(parseEuros("").has_value());
  CHECK_FALSE(parseEuros("1000000001").has_value());
}

// ---- menu ----

TEST_CASE("participation: the menu offers the citizens' budget, without a campaign it says so") {
  Fixture f;  // no campaign
  const auto r = f.run(at(State::Menu), choice("participation"));
  CHECK(r.next.state == "menu");
  CHECK(onlyReply(r).key == "participation.none");
}

TEST_CASE("participation: the home shows campaign, phase and what the phase allows") {
  for (const Phase p : kAllPhases) {
    INFO(toString(p));
    CampaignFixture f(p);
    const auto r = f.run(at(State::Menu), text("Bürgerhaushalt"));
    CHECK(r.next.state == "participation_home");
    const Reply reply = onlyReply(r);
    CHECK(reply.key == "participation.home");
    CHECK(reply.text.find("Bürgerhaushalt 2027") != std::string::npos);
    const auto ids = choiceIds(reply);
    const bool submit = std::find(ids.begin(), ids.end(), "prop:new") != ids.end();
    const bool list = std::find(ids.begin(), ids.end(), "prop:list:new") != ids.end();
    CHECK(submit == canSubmit(p));
    CHECK(list == canBrowse(p));
    CHECK(ids.back() == "menu");
  }
}

// ---- submitting ----

TEST_CASE("participation: 'submit' in the collecting phase asks for the title") {
  CampaignFixture f(Phase::Collecting);
  for (const Event& e : {choice("prop:new"), text("Vorschlag einreichen")}) {
    const auto r = f.run(at(State::ParticipationHome), e);
    CHECK(r.next.state == "proposal_title");
    CHECK(onlyReply(r).key == "participation.ask_title");
  }
}

TEST_CASE("participation: 'submit' outside the collecting phase is refused") {
  for (const Phase p : {Phase::Upcoming, Phase::Supporting, Phase::Review, Phase::Closed}) {
    CampaignFixture f(p);
    const auto r = f.run(at(State::ParticipationHome), choice("prop:new"));
    CHECK(r.next.state == "participation_home");
    CHECK(onlyReply(r).key == "participation.no_submit");
  }
}

TEST_CASE("participation: browsing starts newest first or most supported first") {
  CampaignFixture f(Phase::Supporting);
  auto r = f.run(at(State::ParticipationHome), choice("prop:list:new"));
  CHECK(r.next.state == "proposal_browse");
  const auto* b = findEffect<BrowseProposals>(r);
  REQUIRE(b != nullptr);
  CHECK(b->campaign_id == 7);
  CHECK(b->order == "new");
  CHECK(b->page == 0);
  CHECK(replies(r).empty());  // the engine answers with the list
  r = f.run(at(State::ParticipationHome), text("Meistunterstützt"));
  REQUIRE(findEffect<BrowseProposals>(r) != nullptr);
  CHECK(findEffect<BrowseProposals>(r)->order == "top");
  CHECK(r.next.draft.proposal_order == "top");
}

TEST_CASE("participation: nothing to browse before the campaign starts") {
  CampaignFixture f(Phase::Upcoming);
  const auto r = f.run(at(State::ParticipationHome), choice("prop:list:top"));
  CHECK(r.next.state == "participation_home");
  CHECK(onlyReply(r).key == "participation.no_browse");
  CHECK(findEffect<BrowseProposals>(r) == nullptr);
}

TEST_CASE("participation: an overlong title is refused and not kept") {
  CampaignFixture f;
  const auto r = f.run(at(State::ProposalTitle), text(std::string(81, 'x')));
  CHECK(r.next.state == "proposal_title");
  CHECK(r.next.draft.proposal_title.empty());
  const Reply reply = onlyReply(r);
  CHECK(reply.key == "participation.title_too_long");
  CHECK(reply.text.find("81") != std::string::npos);
}

TEST_CASE("participation: a title of 80 characters (umlauts count once) is taken") {
  CampaignFixture f;
  std::string title;
  for (int i = 0; i < 80; ++i) { title += "ä"; }
  const auto r = f.run(at(State::ProposalTitle), text(title));
  CHECK(r.next.state == "proposal_description");
  CHECK(r.next.draft.proposal_title == title);
  CHECK(onlyReply(r).key == "participation.ask_description");
}

TEST_CASE("participation: an overlong description is refused, one that fits asks for the cost") {
  CampaignFixture f;
  auto r = f.run(at(State::ProposalDescription), text(std::string(1501, 'y')));
  CHECK(r.next.state == "proposal_description");
  CHECK(onlyReply(r).key == "participation.description_too_long");
  r = f.run(at(State::ProposalDescription), text(std::string(1500, 'y')));
  CHECK(r.next.state == "proposal_cost");
  CHECK(r.next.draft.description.size() == 1500);
  const Reply reply = onlyReply(r);
  CHECK(reply.key == "participation.ask_cost");
  CHECK(choiceIds(reply) == std::vector<std::string>{"skip", "cancel"});
}

TEST_CASE("participation: the cost is optional, then the topic is asked") {
  CampaignFixture f;
  auto r = f.run(at(State::ProposalCost, proposalDraft()), text("weiter"));
  CHECK(r.next.state == "proposal_topic");
  CHECK_FALSE(r.next.draft.proposal_cost.has_value());
  CHECK(choiceIds(onlyReply(r)) == std::vector<std::string>{"topic:0", "topic:1", "skip"});
  r = f.run(at(State::ProposalCost, proposalDraft()), text("25.000 €"));
  CHECK(r.next.state == "proposal_topic");
  CHECK(r.next.draft.proposal_cost == 25000);
}

TEST_CASE("participation: without topics the cost step goes to the location") {
  CampaignFixture f;
  f.campaign.topics.clear();
  auto r = f.run(at(State::ProposalCost, proposalDraft()), choice("skip"));
  CHECK(r.next.state == "proposal_location");
  CHECK(onlyReply(r).request_location);
  r = f.run(at(State::ProposalCost, proposalDraft()), text("300"));
  CHECK(r.next.state == "proposal_location");
  CHECK(r.next.draft.proposal_cost == 300);
}

TEST_CASE("participation: a cost that is not an amount is asked again") {
  CampaignFixture f;
  const auto r = f.run(at(State::ProposalCost, proposalDraft()), text("ziemlich teuer"));
  CHECK(r.next.state == "proposal_cost");
  CHECK(onlyReply(r).key == "participation.cost_invalid");
}

TEST_CASE("participation: a topic is picked by button or name, or skipped") {
  CampaignFixture f;
  auto r = f.run(at(State::ProposalTopic, proposalDraft()), choice("topic:1"));
  CHECK(r.next.state == "proposal_location");
  CHECK(r.next.draft.proposal_topic == "Grün");
  r = f.run(at(State::ProposalTopic, proposalDraft()), text("verkehr"));
  CHECK(r.next.draft.proposal_topic == "Verkehr");
  r = f.run(at(State::ProposalTopic, proposalDraft()), text("überspringen"));
  CHECK(r.next.state == "proposal_location");
  CHECK(r.next.draft.proposal_topic.empty());
  r = f.run(at(State::ProposalTopic, proposalDraft()), text("Kultur"));
  CHECK(r.next.state == "proposal_topic");
  CHECK(onlyReply(r).key == "help.proposal_topic");
}

TEST_CASE("participation: the place is a shared location, a typed place or skipped") {
  CampaignFixture f;
  auto r = f.run(at(State::ProposalLocation, proposalDraft()), location(kInNorth));
  CHECK(r.next.state == "proposal_photo");
  REQUIRE(r.next.draft.location.has_value());
  CHECK(r.next.draft.location->lat == kInNorth.lat);
  CHECK(onlyReply(r).key == "participation.ask_photo");
  r = f.run(at(State::ProposalLocation, proposalDraft()), text("Klostersee, Südufer"));
  CHECK(r.next.state == "proposal_photo");
  CHECK(r.next.draft.address_text == "Klostersee, Südufer");
  r = f.run(at(State::ProposalLocation, proposalDraft()), choice("skip"));
  CHECK(r.next.state == "proposal_photo");
  CHECK(r.next.draft.address_text.empty());
}

TEST_CASE("participation: a photo or skip leads to the summary") {
  CampaignFixture f;
  auto r = f.run(at(State::ProposalPhoto, proposalDraft()), image("42"));
  CHECK(r.next.state == "proposal_summary");
  CHECK(r.next.draft.photo_ids == std::vector<std::string>{"42"});
  Reply reply = onlyReply(r);
  CHECK(reply.key == "participation.summary");
  CHECK(reply.text.find("Mehr Bänke am Klostersee") != std::string::npos);
  CHECK(choiceIds(reply) == std::vector<std::string>{"confirm", "change", "cancel"});
  r = f.run(at(State::ProposalPhoto, proposalDraft()), text("skip"));
  CHECK(r.next.state == "proposal_summary");
  CHECK(r.next.draft.photo_ids.empty());
}

TEST_CASE("participation: confirming submits the draft for moderation and clears it") {
  CampaignFixture f;
  Draft d = proposalDraft();
  d.proposal_cost = 5000;
  d.proposal_topic = "Grün";
  const auto r = f.run(at(State::ProposalSummary, d), choice("confirm"));
  CHECK(r.next.state == "menu");
  CHECK(r.next.draft.proposal_title.empty());
  const auto* s = findEffect<SubmitProposal>(r);
  REQUIRE(s != nullptr);
  CHECK(s->campaign_id == 7);
  CHECK(s->draft.proposal_title == "Mehr Bänke am Klostersee");
  CHECK(s->draft.proposal_cost == 5000);
  CHECK(s->draft.proposal_topic == "Grün");
}

TEST_CASE("participation: confirming after the collecting phase ended submits nothing") {
  CampaignFixture f(Phase::Supporting);
  const auto r = f.run(at(State::ProposalSummary, proposalDraft()), text("ja"));
  CHECK(r.next.state == "menu");
  CHECK(findEffect<SubmitProposal>(r) == nullptr);
  CHECK(onlyReply(r).key == "participation.no_submit");
}

TEST_CASE("participation: 'change' in the summary starts again at the title, keeping the rest") {
  CampaignFixture f;
  const auto r = f.run(at(State::ProposalSummary, proposalDraft()), choice("change"));
  CHECK(r.next.state == "proposal_title");
  CHECK(r.next.draft.description == "Am Ufer fehlen Sitzplätze.");
}

TEST_CASE("participation: 'no' or cancel in the summary discards the draft") {
  CampaignFixture f;
  for (const Event& e : {text("nein"), choice("cancel")}) {
    const auto r = f.run(at(State::ProposalSummary, proposalDraft()), e);
    CHECK(r.next.state == "menu");
    CHECK(r.next.draft.proposal_title.empty());
    CHECK(findEffect<SubmitProposal>(r) == nullptr);
  }
}

// ---- browsing, supporting, commenting ----

TEST_CASE("participation: picking a proposal from the list shows it") {
  CampaignFixture f(Phase::Supporting);
  const auto r = f.run(at(State::ProposalBrowse, browsing(0)), choice("prop:12"));
  CHECK(r.next.state == "proposal_detail");
  CHECK(r.next.draft.proposal_id == 12);
  REQUIRE(findEffect<ShowProposal>(r) != nullptr);
  CHECK(findEffect<ShowProposal>(r)->proposal_id == 12);
}

TEST_CASE("participation: 'more' pages on in the same order, the order can switch") {
  CampaignFixture f(Phase::Supporting);
  auto r = f.run(at(State::ProposalBrowse, browsing(0, "top", 1)), choice("prop:more"));
  CHECK(r.next.state == "proposal_browse");
  REQUIRE(findEffect<BrowseProposals>(r) != nullptr);
  CHECK(findEffect<BrowseProposals>(r)->order == "top");
  CHECK(findEffect<BrowseProposals>(r)->page == 2);
  r = f.run(at(State::ProposalBrowse, browsing(0, "top", 1)), choice("prop:list:new"));
  CHECK(findEffect<BrowseProposals>(r)->order == "new");
  CHECK(findEffect<BrowseProposals>(r)->page == 0);
  r = f.run(at(State::ProposalBrowse, browsing(0, "new", 3)), choice("prop:list:top"));
  CHECK(findEffect<BrowseProposals>(r)->order == "top");
  CHECK(findEffect<BrowseProposals>(r)->page == 0);
}

TEST_CASE("participation: 'back' from the list returns to the campaign home") {
  CampaignFixture f(Phase::Supporting);
  const auto r = f.run(at(State::ProposalBrowse, browsing(0)), choice("back"));
  CHECK(r.next.state == "participation_home");
  CHECK(onlyReply(r).key == "participation.home");
}

TEST_CASE("participation: support and withdrawal in the supporting phase") {
  CampaignFixture f(Phase::Supporting);
  auto r = f.run(at(State::ProposalDetail, browsing(12)), choice("prop:support"));
  CHECK(r.next.state == "proposal_detail");
  REQUIRE(findEffect<SupportProposal>(r) != nullptr);
  CHECK(findEffect<SupportProposal>(r)->proposal_id == 12);
  CHECK_FALSE(findEffect<SupportProposal>(r)->withdraw);
  r = f.run(at(State::ProposalDetail, browsing(12)), text("Unterstützung zurückziehen"));
  REQUIRE(findEffect<SupportProposal>(r) != nullptr);
  CHECK(findEffect<SupportProposal>(r)->withdraw);
}

TEST_CASE("participation: supporting (or withdrawing) outside the supporting phase is refused") {
  for (const Phase p : {Phase::Collecting, Phase::Review, Phase::Decision, Phase::Closed}) {
    CampaignFixture f(p);
    for (const char* id : {"prop:support", "prop:unsupport"}) {
      const auto r = f.run(at(State::ProposalDetail, browsing(12)), choice(id));
      CHECK(r.next.state == "proposal_detail");
      CHECK(findEffect<SupportProposal>(r) == nullptr);
      CHECK(onlyReply(r).key == "participation.no_support");
    }
  }
}

TEST_CASE("participation: commenting asks for the text in the supporting phase only") {
  CampaignFixture f(Phase::Supporting);
  auto r = f.run(at(State::ProposalDetail, browsing(12)), choice("prop:comment"));
  CHECK(r.next.state == "proposal_comment");
  CHECK(onlyReply(r).key == "participation.ask_comment");
  CampaignFixture late(Phase::Review);
  r = late.run(at(State::ProposalDetail, browsing(12)), choice("prop:comment"));
  CHECK(r.next.state == "proposal_detail");
  CHECK(onlyReply(r).key == "participation.no_comment");
}

TEST_CASE("participation: 'back' from a proposal lists the same page again") {
  CampaignFixture f(Phase::Supporting);
  const auto r = f.run(at(State::ProposalDetail, browsing(12, "top", 2)), choice("back"));
  CHECK(r.next.state == "proposal_browse");
  REQUIRE(findEffect<BrowseProposals>(r) != nullptr);
  CHECK(findEffect<BrowseProposals>(r)->order == "top");
  CHECK(findEffect<BrowseProposals>(r)->page == 2);
}

TEST_CASE("participation: another proposal picked from the old list is shown") {
  CampaignFixture f(Phase::Supporting);
  const auto r = f.run(at(State::ProposalDetail, browsing(12)), choice("prop:13"));
  CHECK(r.next.state == "proposal_detail");
  CHECK(r.next.draft.proposal_id == 13);
}

TEST_CASE("participation: a comment is sent for moderation, overlong ones are refused") {
  CampaignFixture f(Phase::Supporting);
  f.campaign.max_comment_chars = 10;
  auto r = f.run(at(State::ProposalComment, browsing(12)), text("viel zu lang für zehn"));
  CHECK(r.next.state == "proposal_comment");
  CHECK(onlyReply(r).key == "participation.comment_too_long");
  r = f.run(at(State::ProposalComment, browsing(12)), text("  Gute Idee "));
  CHECK(r.next.state == "proposal_detail");
  const auto* c = findEffect<CommentProposal>(r);
  REQUIRE(c != nullptr);
  CHECK(c->proposal_id == 12);
  CHECK(c->text == "Gute Idee");
}

TEST_CASE("participation: 'back' while writing a comment shows the proposal again") {
  CampaignFixture f(Phase::Supporting);
  const auto r = f.run(at(State::ProposalComment, browsing(12)), choice("back"));
  CHECK(r.next.state == "proposal_detail");
  REQUIRE(findEffect<ShowProposal>(r) != nullptr);
  CHECK(findEffect<CommentProposal>(r) == nullptr);
}

TEST_CASE("participation: global commands still work and drafts expire") {
  CampaignFixture f;
  auto r = f.run(at(State::ProposalDescription, proposalDraft()), text("abbrechen"));
  CHECK(r.next.state == "menu");
  CHECK(r.next.draft.proposal_title.empty());
  Conversation old = at(State::ProposalTitle, proposalDraft());
  old.last_activity = t0() - 31min;
  r = f.run(old, text("Noch ein Titel"));
  CHECK(r.next.state == "menu");
  CHECK(onlyReply(r).key == "draft.expired");
}

TEST_CASE("participation: every state has help and its choices") {
  CampaignFixture f(Phase::Supporting);
  for (const State s : {State::ParticipationHome, State::ProposalTitle, State::ProposalDescription,
                        State::ProposalCost, State::ProposalTopic, State::ProposalLocation,
                        State::ProposalPhoto, State::ProposalSummary, State::ProposalBrowse,
                        State::ProposalDetail, State::ProposalComment}) {
    INFO(toString(s));
    CHECK(stateFromString(toString(s)) == s);
    const auto r = f.run(at(s, browsing(12)), text("hilfe"));
    CHECK(r.next.state == toString(s));
    CHECK_FALSE(onlyReply(r).choices.empty());
    const auto u = f.run(at(s, browsing(12)), unsupported());
    CHECK(u.next.state == toString(s));
  }
}

}  // namespace bb::flows::testing
