// Scheduler, webhooks: the deliveries of final tasks with a callback_url, taken by
// the broker's webhook sender (a thread of its own, see http/webhook_sender.hpp)
// with broker.webhooks.take and reported with broker.webhooks.done. A task stays
// pinned (never forgotten) while its delivery is pending, and the pending state is
// stored, so a restarted broker delivers what it had not.
#include "scheduler.hpp"

namespace zerotask::broker {

namespace {

// What the callback receives: docs/HTTP.md, "Webhooks".
json webhook_body(const TaskRecord& record) {
  json body = {{"id", format_task_id(record.id)}, {"state", to_string(record.state)}, {"function", record.function}};
  if (record.state == TaskState::Succeeded) {
    body["result"] = record.result;
  } else {
    body["error"] = record.error;
  }
  return body;
}

}  // namespace

void Scheduler::callback_due(TaskRecord& record) {
  if (record.callback_state != CallbackState::Pending) {
    record.callback_state = CallbackState::Pending;
    ++webhooks_pending_;
    pin(record.id);
  }
  webhooks_due_.emplace_back(record.id, record.ended_at);
  if (webhook_taker_) answer_webhook_taker();
}

void Scheduler::take_webhooks(std::size_t limit, ReplyTo taker) {
  if (webhook_taker_) outbox_.reply_result(*webhook_taker_, json{{"deliveries", json::array()}});
  webhook_taker_ = std::move(taker);
  webhook_take_limit_ = limit;
  answer_webhook_taker();
}

void Scheduler::answer_webhook_taker() {
  json deliveries = json::array();
  while (!webhooks_due_.empty() && deliveries.size() < webhook_take_limit_) {
    auto [id, ended_at] = webhooks_due_.front();
    webhooks_due_.pop_front();
    const TaskRecord* record = store_.find(id);
    // Retried since it ended: the end it will come to is delivered instead.
    if (!record || !is_final(record->state) || record->ended_at != ended_at ||
        record->callback_state != CallbackState::Pending) {
      continue;
    }
    deliveries.push_back(json{{"id", format_task_id(id)},
                              {"ended_at", ended_at},
                              {"url", record->callback_url.str()},
                              {"body", webhook_body(*record)}});
  }
  if (deliveries.empty()) return;
  outbox_.reply_result(*webhook_taker_, json{{"deliveries", std::move(deliveries)}});
  webhook_taker_.reset();
}

bool Scheduler::webhook_done(TaskId id, std::int64_t ended_at, bool delivered) {
  TaskRecord* record = store_.find(id);
  if (!record || !is_final(record->state) || record->ended_at != ended_at ||
      record->callback_state != CallbackState::Pending) {
    return false;
  }
  record->callback_state = delivered ? CallbackState::Delivered : CallbackState::Failed;
  store_.mark_changed(*record);
  --webhooks_pending_;
  ++(delivered ? webhooks_delivered_ : webhooks_failed_);
  unpin(id);  // may forget the task: `record` is not used after this
  return true;
}

}  // namespace zerotask::broker
