#pragma once
// The citizen web chat (/chat): an anonymous session cookie, CSRF-protected posts, photo upload
// through the media pipeline, long-polled replies, and the "follow my report" page.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bot/conversation/engine.hpp"
#include "bot/http/http.hpp"
#include "bot/media/image_cleaner.hpp"
#include "bot/media/media_store.hpp"
#include "bot/ports.hpp"
#include "bot/conversation/store.hpp"
#include "web/chat_transcript.hpp"
#include "web/html.hpp"

namespace bb::web {

struct WebChatOptions {
  std::string asset_dir;  //!< web/static
  int max_message_chars = 2000;
  std::size_t max_upload_bytes = 10 * 1024 * 1024;
  int messages_per_minute = 30;
  std::chrono::milliseconds long_poll{8000};
  //! Long polls that may wait at once (each holds a server thread); others answer at once
  //! with `retry_ms` so the page polls again later.
  int max_waiting_polls = 4;
  bool secure_cookies = false;  //!< `Secure` when served over HTTPS
  std::string csrf_key;         //!< secret for session-bound CSRF tokens
  media::CleanOptions clean;
  TranscriptLimits transcript;  //!< the citizen's side kept for a reload
};

class WebChat {
public:
  WebChat(Engine& engine, Store& store, media::MediaStore& media, const Clock& clock,
          Random& random, WebChatOptions options);

  std::vector<Route> routes();

  // Handlers (public for tests).
  HttpResponse page(const HttpRequest& req);
  HttpResponse asset(const HttpRequest& req);
  HttpResponse send(const HttpRequest& req);
  HttpResponse photo(const HttpRequest& req);
  HttpResponse messages(const HttpRequest& req);
  //! Both sides of the session's conversation, for a reload.
  HttpResponse transcript(const HttpRequest& req);
  //! The thumbnail of a photo this session sent.
  HttpResponse sentPhoto(const HttpRequest& req);
  HttpResponse follow(const HttpRequest& req);
  //! A thumbnail of the ticket's photo, for the follow page.
  HttpResponse followPhoto(const HttpRequest& req);
  //! The follow page's form: the reporter answers the city (a citizen message in the thread).
  HttpResponse followMessage(const HttpRequest& req);
  HttpResponse privacy(const HttpRequest& req);

  std::string csrfFor(const std::string& session) const;

private:
  //! The session id from the cookie, if it is well-formed.
  std::string sessionOf(const HttpRequest& req) const;
  //! Session and CSRF checks for posts; empty optional when fine, else the error response.
  std::optional<HttpResponse> checkPost(const HttpRequest& req, std::string& session);
  bool allowRate(const std::string& session);
  HttpResponse error(int status, const std::string& code, const std::string& text_key,
                     const std::string& session);
  flows::Lang langOf(const std::string& session);
  std::string followCsrf(const std::string& browser, const std::string& token) const;
  std::string followOwnReport(const TicketRecord& t, const std::string& token);
  std::string followConversation(const TicketRecord& t);
  std::string followForm(const TicketRecord& t, const std::string& token, const std::string& browser);

  Engine& engine_;
  Store& store_;
  media::MediaStore& media_;
  const Clock& clock_;
  Random& random_;  //!< session ids, event ids
  WebChatOptions options_;
  std::mutex rate_mutex_;
  std::map<std::string, std::pair<double, std::chrono::steady_clock::time_point>> buckets_;
  std::atomic<int> waiting_polls_{0};
  AssetCache assets_;
  ChatTranscripts transcripts_;
};

}  // namespace bb::web
