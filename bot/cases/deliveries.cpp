#include "bot/cases/deliveries.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>

namespace bb {

std::string deliveryRef(DeliveryProblem::Kind kind, std::int64_t id) {
  const char* prefix = kind == DeliveryProblem::Kind::BackOffice ? "b-"
                       : kind == DeliveryProblem::Kind::Message  ? "m-"
                                                                 : "e-";
  return prefix + std::to_string(id);
}

std::string deliveryRef(const DeliveryProblem& p) { return deliveryRef(p.kind, p.id); }

std::optional<std::pair<DeliveryProblem::Kind, std::int64_t>> parseDeliveryRef(
    const std::string& ref) {
  if (ref.size() < 3 || ref.size() > 17 || ref[1] != '-') { return std::nullopt; }
  DeliveryProblem::Kind kind;
  if (ref[0] == 'b') {
    kind = DeliveryProblem::Kind::BackOffice;
  } else if (ref[0] == 'm') {
    kind = DeliveryProblem::Kind::Message;
  } else if (ref[0] == 'e') {
    kind = DeliveryProblem::Kind::Inbound;
  } else {
    return std::nullopt;
  }
  std::int64_t id = 0;
  const char* first = ref.data() + 2;
  const char* last = ref.data() + ref.size();
  const auto [end, ec] = std::from_chars(first, last, id);
  if (ec != std::errc() || end != last || id <= 0) { return std::nullopt; }
  return std::make_pair(kind, id);
}

std::string deliveryKindLabel(const DeliveryProblem& p) {
  if (p.kind == DeliveryProblem::Kind::BackOffice) { return "Back office"; }
  if (p.kind == DeliveryProblem::Kind::Inbound) { return "Eingang (" + p.channel + ")"; }
  return "Nachricht (" + p.channel + ")";
}

std::string deliveryAge(SysTime since, SysTime now) {
  const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(now - since).count();
  if (minutes < 60) { return std::to_string(std::max<std::int64_t>(minutes, 0)) + " Min."; }
  if (minutes < 48 * 60) { return std::to_string(minutes / 60) + " Std."; }
  return std::to_string(minutes / (24 * 60)) + " Tage";
}

}  // namespace bb
