// Process-wide shared data and shared queues (cpp-host src/shared_data.cc, src/shared_queue.cc):
// both are scoped by vm_id only, so every worker's VM (and every plugin with the same vm_id) sees
// the same keys and queues.
import { Status } from "./status";

interface QueueOwner { queueReady(rootId: number, queueId: number): void; }

interface Queue { id: number; items: Uint8Array[]; owner: QueueOwner; rootId: number; }

export class SharedState {
  private data = new Map<string, Map<string, { value: Uint8Array; cas: number }>>();
  private nextCas = 1;
  private queues = new Map<string, Queue>();
  private queueById = new Map<number, Queue>();
  private nextQueue = 1;
  private pending = new Set<NodeJS.Immediate>();

  /** cas 0 = unconditional; otherwise it must equal the current cas of an existing key. */
  setData(vmId: string, key: string, value: Uint8Array, cas: number): Status {
    let m = this.data.get(vmId);
    if (!m) this.data.set(vmId, (m = new Map()));
    const cur = m.get(key);
    if (cas !== 0 && cur && cur.cas !== cas) return Status.CasMismatch;
    let next = this.nextCas++;
    if (next === 0 || next > 0xffffffff) { this.nextCas = 2; next = 1; }
    m.set(key, { value, cas: next });
    return Status.Ok;
  }

  getData(vmId: string, key: string): { value: Uint8Array; cas: number } | undefined {
    return this.data.get(vmId)?.get(key);
  }

  /** Registering again keeps the queued data and moves ownership (proxy_on_queue_ready target). */
  registerQueue(vmId: string, name: string, owner: QueueOwner, rootId: number): number {
    const k = vmId + "\0" + name;
    let q = this.queues.get(k);
    if (!q) {
      q = { id: this.nextQueue++, items: [], owner, rootId };
      this.queues.set(k, q);
      this.queueById.set(q.id, q);
    } else {
      q.owner = owner;
      q.rootId = rootId;
    }
    return q.id;
  }

  resolveQueue(vmId: string, name: string): number | undefined {
    return this.queues.get(vmId + "\0" + name)?.id;
  }

  /** Enqueue, then post proxy_on_queue_ready to the owner (Envoy posts to the owner's dispatcher). */
  enqueue(id: number, value: Uint8Array): Status {
    const q = this.queueById.get(id);
    if (!q) return Status.NotFound;
    q.items.push(value);
    const h = setImmediate(() => {
      this.pending.delete(h);
      q.owner.queueReady(q.rootId, q.id);
    });
    this.pending.add(h);
    return Status.Ok;
  }

  dequeue(id: number): Uint8Array | Status {
    const q = this.queueById.get(id);
    if (!q) return Status.NotFound;
    if (!q.items.length) return Status.Empty;
    return q.items.shift()!;
  }

  stop(): void {
    for (const h of this.pending) clearImmediate(h);
    this.pending.clear();
  }
}
