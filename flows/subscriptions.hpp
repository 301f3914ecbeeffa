#pragma once
// Subscriptions by chat: list the topics, subscribe, unsubscribe several at once.
// "stop" (conversation.cpp) ends every subscription through the StopAll effect. The rows live
// in subscriptions.cpp; this header holds the pure helpers the engine and tests share.

#include <string>
#include <vector>

#include "flows/flow_types.hpp"

namespace bb::flows {

//! What a typed or chosen topic list names, in the order written, without repeats.
struct TopicSelection {
  std::vector<std::string> topics;   //!< topic ids
  std::vector<std::string> unknown;  //!< pieces that named no topic
  bool all = false;                  //!< "alle" / "all"
};

//! Parses "1, 3", "Stadtrat und Bauausschuss", "stadtrat,bauausschuss" (ids, labels in any
//! language, 1-based positions in `topics`). Separators: comma, semicolon, space, "und", "and".
TopicSelection parseTopicSelection(const std::vector<Topic>& topics, const std::string& text);

//! The label of `topic_id` in `lang` (its id when unknown).
std::string topicLabel(const std::vector<Topic>& topics, const std::string& topic_id, Lang lang);

}  // namespace bb::flows
