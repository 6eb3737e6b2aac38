package dev.gatehouse.examples.spring;

import dev.gatehouse.examples.spring.inventory.v1.InventoryGrpc;
import dev.gatehouse.examples.spring.inventory.v1.ItemReply;
import dev.gatehouse.examples.spring.inventory.v1.ItemRequest;
import dev.gatehouse.server.AuthContext;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.stereotype.Service;

/**
 * The inventory service: an ordinary Spring bean. Who may call what is written in inventory.proto;
 * handlers read the caller from {@link AuthContext} exactly as without Spring.
 */
@Service
public class InventoryService extends InventoryGrpc.InventoryImplBase {
  private final Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();

  /** Creates the service. */
  public InventoryService() {}

  /** How many calls the handler of {@code method} (bare name) ran; the example's test reads it. */
  public int handled(String method) {
    AtomicInteger n = handled.get(method);
    return n == null ? 0 : n.get();
  }

  @Override
  public void checkStock(ItemRequest request, StreamObserver<ItemReply> responseObserver) {
    reply("CheckStock", request, responseObserver);
  }

  @Override
  public void reserve(ItemRequest request, StreamObserver<ItemReply> responseObserver) {
    reply("Reserve", request, responseObserver);
  }

  @Override
  public void restock(ItemRequest request, StreamObserver<ItemReply> responseObserver) {
    reply("Restock", request, responseObserver);
  }

  @Override
  public void purge(ItemRequest request, StreamObserver<ItemReply> responseObserver) {
    reply("Purge", request, responseObserver);
  }

  private void reply(String method, ItemRequest request, StreamObserver<ItemReply> out) {
    handled.computeIfAbsent(method, m -> new AtomicInteger()).incrementAndGet();
    // Public methods carry no AuthContext; gated and internal ones always do.
    String caller = AuthContext.current().map(AuthContext::subject).orElse("anonymous");
    out.onNext(
        ItemReply.newBuilder().setSku(request.getSku()).setCount(42).setCaller(caller).build());
    out.onCompleted();
  }
}
