package dev.gatehouse.trust.jwt.internal;

import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jose.util.Resource;
import com.nimbusds.jose.util.ResourceRetriever;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.HttpURLConnection;
import java.net.URL;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Fetches a JWKS with short connect/read timeouts, a size limit, no redirects, and a hard bound on
 * the whole fetch (a server that drips bytes cannot hold a caller longer than {@code timeout}).
 */
final class BoundedRetriever implements ResourceRetriever {
  private final ResourceRetriever delegate;
  private final ExecutorService executor;
  private final long timeoutMillis;

  BoundedRetriever(long timeoutMillis, int sizeLimit, ExecutorService executor) {
    this.timeoutMillis = timeoutMillis;
    this.executor = executor;
    int t = (int) Math.min(Integer.MAX_VALUE, timeoutMillis);
    this.delegate =
        new DefaultResourceRetriever(t, t, sizeLimit) {
          @Override
          protected HttpURLConnection openHTTPConnection(URL url) throws IOException {
            HttpURLConnection c = super.openHTTPConnection(url);
            c.setInstanceFollowRedirects(false);
            return c;
          }
        };
    ((DefaultResourceRetriever) delegate).setDisconnectsAfterUse(true);
  }

  @Override
  public Resource retrieveResource(URL url) throws IOException {
    Future<Resource> f = executor.submit(() -> delegate.retrieveResource(url));
    try {
      return f.get(timeoutMillis, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      f.cancel(true);
      throw new IOException("JWKS fetch timed out after " + timeoutMillis + " ms");
    } catch (InterruptedException e) {
      f.cancel(true);
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while fetching JWKS");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException) {
        throw (IOException) e.getCause();
      }
      throw new IOException("JWKS fetch failed: " + e.getCause().getClass().getSimpleName());
    }
  }
}
