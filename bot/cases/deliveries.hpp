#pragma once
// Deliveries that need staff: back-office entries given up after their total backoff ('dead')
// and messages to citizens that failed for good or ran out of tries. The delivery page of the
// staff inbox and `buergerbox deliveries` list them with reason and age, retry them (one or
// all) and discard them; every retry and discard is written to the audit log.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "bot/types.hpp"

namespace bb {

//! A delivery that needs staff.
struct DeliveryProblem {
  enum class Kind { BackOffice, Message, Inbound };
  Kind kind = Kind::BackOffice;
  //! case queue entry, outbox row, or the first parked inbound event of a citizen (whose
  //! commit kept failing; the citizen's later events wait behind it)
  std::int64_t id = 0;
  std::int64_t ticket_number = 0;  //!< 0: a message that belongs to no ticket
  std::string department;          //!< "" for a message without a ticket (admins only)
  std::string channel;             //!< messages only
  std::string state;               //!< dead | failed | parked
  std::string reason;              //!< the last error: status and error codes, no content
  int tries = 0;
  SysTime since{};  //!< when it was queued
};

//! "b-12" (back-office entry 12), "m-34" (message 34) or "e-56" (received event 56): the
//! reference the delivery page and `buergerbox deliveries` show and take.
std::string deliveryRef(const DeliveryProblem& p);
std::string deliveryRef(DeliveryProblem::Kind kind, std::int64_t id);
//! The kind and id of a reference; nullopt when it is not one.
std::optional<std::pair<DeliveryProblem::Kind, std::int64_t>> parseDeliveryRef(
    const std::string& ref);
//! "Back office", "Nachricht (telegram)" or "Eingang (telegram)" — the page's first column.
std::string deliveryKindLabel(const DeliveryProblem& p);
//! The age for people: "12 Min.", "3 Std.", "2 Tage".
std::string deliveryAge(SysTime since, SysTime now);

}  // namespace bb
