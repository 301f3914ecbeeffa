#pragma once
// Short answers the way people type them in a chat: "Ja bitte", "OK!", "passt", "👍",
// "nein danke", "zurück", "skip". One table per language; every flow reads typed text through
// normalizeAnswer() (flows/conversation.cpp), so a word understood in one step is understood
// in all of them.

#include <optional>
#include <string>
#include <string_view>

#include "flows/flow_types.hpp"

namespace bb::flows {

enum class Answer {
  Yes,     //!< ja, klar, gerne, passt, 👍, yes please, sure
  No,      //!< nein, nö, nein danke, 👎, no thanks, nope
  Ok,      //!< ok, okay, alles klar, in ordnung (flows treat it as yes)
  Cancel,  //!< abbrechen, vergiss es, cancel, never mind
  Back,    //!< zurück, einen schritt zurück, back, go back
  Skip,    //!< überspringen, weiter, keins, skip, next, none
  Help,    //!< hilfe, ?, wie geht das, help, what now
};

const char* toString(Answer answer);  //!< "yes", "no", "ok", "cancel", "back", "skip", "help"

//! What `text` means as a short answer, or nullopt when it is not one (free text, an address,
//! a description). The words of `lang` are tried first, then those of the other language
//! (people mix "ok" and "yes" into German). Case, surrounding punctuation, repeated letters
//! and politeness words ("bitte", "danke", "please", "thanks") do not matter; emoji skin tones
//! and variation selectors are ignored. Input longer than a short answer is never an answer.
std::optional<Answer> normalizeAnswer(std::string_view text, Lang lang);

}  // namespace bb::flows
