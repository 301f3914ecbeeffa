#include "support/temp_postgres.hpp"

#include <libpq-fe.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace bb::test {

namespace {

std::string binDir() {
  const char* env = std::getenv("BB_POSTGRES_BIN");
  return env != nullptr && *env != '\0' ? env : "/usr/lib/postgresql/15/bin";
}

//! Who runs the server: PostgreSQL refuses to run as root, so a root test process lends it to
//! the `postgres` user (the Debian package creates it), or `nobody`.
struct RunAs {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

RunAs serverUser() {
  RunAs who;
  if (geteuid() != 0) { return who; }
  const passwd* pw = getpwnam("postgres");
  if (pw == nullptr) { pw = getpwnam("nobody"); }
  if (pw == nullptr) { return who; }
  who.switch_user = true;
  who.uid = pw->pw_uid;
  who.gid = pw->pw_gid;
  return who;
}

//! Forks and executes `args` as `who`, its output appended to `log_path`. The child gets SIGQUIT
//! (PostgreSQL's immediate shutdown) when this process dies. Returns the child's pid, or -1.
pid_t spawn(const std::vector<std::string>& args, const RunAs& who, const std::string& log_path,
            const std::string& cwd) {
  std::vector<char*> argv;
  for (const std::string& a : args) { argv.push_back(const_cast<char*>(a.c_str())); }
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid != 0) { return pid; }
  // The child: only async-signal-safe calls until exec.
  const int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (log >= 0) {
    dup2(log, STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
  }
  const int devnull = open("/dev/null", O_RDONLY);
  if (devnull >= 0) { dup2(devnull, STDIN_FILENO); }
  if (who.switch_user) {
    if (setgroups(0, nullptr) != 0 || setgid(who.gid) != 0 || setuid(who.uid) != 0) { _exit(126); }
  }
  // After the user switch: changing credentials clears the parent-death signal.
  prctl(PR_SET_PDEATHSIG, SIGQUIT);
  if (getppid() != parent) { _exit(125); }
  if (chdir(cwd.c_str()) != 0) { _exit(124); }
  execv(argv[0], argv.data());
  _exit(127);
}

int freePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  if (fd >= 0) { close(fd); }
  return port;
}

std::string tail(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string all = text.str();
  return all.size() > 2000 ? all.substr(all.size() - 2000) : all;
}

//! Runs a command to its end; its exit status, or -1.
int runToEnd(const std::vector<std::string>& args, const RunAs& who, const std::string& log,
             const std::string& cwd) {
  const pid_t pid = spawn(args, who, log, cwd);
  if (pid < 0) { return -1; }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) { return -1; }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

//! Removes the directories of test processes that died before removing theirs (the server dies
//! with its process; its 40 MB would stay). A directory is named after its process's pid.
void removeOrphans() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/tmp", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("bb-pg-", 0) != 0) { continue; }
    const long owner = std::strtol(name.c_str() + 6, nullptr, 10);
    if (owner > 0 && kill(static_cast<pid_t>(owner), 0) != 0 && errno == ESRCH) {
      std::filesystem::remove_all(entry.path(), ec);
    }
  }
}

}  // namespace

TempPostgres& TempPostgres::shared() {
  static TempPostgres server(false);
  return server;
}

TempPostgres& TempPostgres::durable() {
  static TempPostgres server(true);
  return server;
}

bool TempPostgres::useShared() {
  const char* dir = std::getenv("BB_TEST_POSTGRES_DIR");
  if (dir == nullptr || *dir == '\0') { return false; }
  std::ifstream in(std::string(dir) + "/url");
  std::string url;
  if (!std::getline(in, url) || url.empty()) {
    error_ = std::string("BB_TEST_POSTGRES_DIR is set but holds no url: ") + dir;
    return true;  // a broken fixture is an error, not a reason to start another server
  }
  base_url_ = url;
  shared_ = PQping((url + " dbname=postgres").c_str()) == PQPING_OK;
  if (!shared_) { error_ = "the fixture's server does not answer: " + url; }
  return true;
}

TempPostgres::TempPostgres(bool durable) : durable_(durable) {
  if (!durable_ && useShared()) { return; }
  removeOrphans();
  std::string pattern = "/tmp/bb-pg-" + std::to_string(getpid()) + "-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    error_ = "mkdtemp failed";
    return;
  }
  dir_ = pattern;
  start();
}

bool TempPostgres::start() {
  const RunAs who = serverUser();
  if (who.switch_user && chown(dir_.c_str(), who.uid, who.gid) != 0) {
    error_ = "could not hand " + dir_ + " to the server's user";
    return false;
  }
  const std::string log = dir_ + "/server.log";
  const std::string data = dir_ + "/data";
  if (runToEnd({binDir() + "/initdb", "-D", data, "-U", "bb", "-A", "trust", "-E", "UTF8",
                "--locale=C", "--no-sync", "--no-instructions"},
               who, log, dir_) != 0) {
    error_ = "initdb failed (" + binDir() + "): " + tail(log);
    return false;
  }
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = freePort();
    base_url_ = "host=127.0.0.1 port=" + std::to_string(port_) + " user=bb";
    // fsync off: these servers hold test data only; a test that kills an instance kills
    // Bürgerbox, not PostgreSQL. A durable server (benchmarks) pays for every flush.
    const char* sync = durable_ ? "on" : "off";
    std::vector<std::string> args = {
        binDir() + "/postgres", "-D", data, "-p", std::to_string(port_), "-k", dir_, "-c",
        "listen_addresses=127.0.0.1", "-c", std::string("fsync=") + sync, "-c",
        std::string("full_page_writes=") + sync, "-c", "max_connections=200"};
    if (durable_) { args.insert(args.end(), {"-c", "synchronous_commit=on"}); }
    const pid_t pid = spawn(args, who, log, dir_);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    const std::string probe = url("postgres");
    bool reaped = false;
    while (std::chrono::steady_clock::now() < deadline) {
      if (PQping(probe.c_str()) == PQPING_OK) {
        pid_ = pid;
        return true;
      }
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        reaped = true;  // exited (the port was taken?): its pid may belong to another by now
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!reaped) {
      kill(pid, SIGQUIT);
      waitpid(pid, nullptr, 0);
    }
  }
  error_ = "postgres did not start: " + tail(log);
  return false;
}

std::string TempPostgres::url(const std::string& name) const {
  return base_url_ + " dbname=" + name;
}

bool TempPostgres::exec(const std::string& sql) {
  PGconn* conn = PQconnectdb(url("postgres").c_str());
  PGresult* result = PQexec(conn, sql.c_str());
  const ExecStatusType status = PQresultStatus(result);
  const bool done = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
  if (!done) { error_ = sql + ": " + PQerrorMessage(conn); }
  PQclear(result);
  PQfinish(conn);
  return done;
}

std::string TempPostgres::createDatabase(const std::string& clause) {
  // Named after the process: parallel test processes share the fixture's server.
  const std::string name = "t" + std::to_string(getpid()) + "_" + std::to_string(next_database_++);
  if (!exec("CREATE DATABASE " + name + clause)) { return {}; }
  databases_.push_back(name);
  return url(name);
}

std::string TempPostgres::newDatabase() { return createDatabase(""); }

bool TempPostgres::ensureTemplate(const std::string& name,
                                  const std::function<bool(const std::string& url)>& fill) {
  // One session holds the lock while the template is made; a session-level advisory lock ends
  // with its connection, so a process that dies while making it frees the others.
  PGconn* lock = PQconnectdb(url("postgres").c_str());
  PQclear(PQexec(lock, "SELECT pg_advisory_lock(7311)"));
  PGresult* found = PQexec(lock, ("SELECT 1 FROM pg_database WHERE datistemplate AND datname = '" +
                                  name + "'").c_str());
  bool ready = PQresultStatus(found) == PGRES_TUPLES_OK && PQntuples(found) == 1;
  PQclear(found);
  if (!ready) {
    // A half-made template (its maker died) is made again.
    ready = exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)") &&
            exec("CREATE DATABASE " + name) && fill(url(name)) &&
            exec("ALTER DATABASE " + name + " IS_TEMPLATE true");
  }
  PQclear(PQexec(lock, "SELECT pg_advisory_unlock(7311)"));
  PQfinish(lock);
  return ready;
}

std::string TempPostgres::newDatabaseFrom(
    const std::string& template_name, const std::function<bool(const std::string& url)>& fill) {
  if (!ensureTemplate(template_name, fill)) { return {}; }
  return createDatabase(" TEMPLATE " + template_name);
}

TempPostgres::~TempPostgres() {
  if (shared_ && !databases_.empty()) {
    // The shared server outlives this process: its databases go (7 MB each, hundreds a run).
    PGconn* conn = PQconnectdb(url("postgres").c_str());
    for (const std::string& name : databases_) {
      PQclear(PQexec(conn, ("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)").c_str()));
    }
    PQfinish(conn);
  }
  if (pid_ > 0) {
    kill(pid_, SIGINT);  // fast shutdown: ends the sessions, no checkpoint wait beyond a moment
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (waitpid(pid_, nullptr, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

}  // namespace bb::test
