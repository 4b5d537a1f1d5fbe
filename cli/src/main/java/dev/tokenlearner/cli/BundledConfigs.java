package dev.tokenlearner.cli;

import dev.tokenlearner.config.ConfigLoader;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The configs shipped on the class path ({@code configs/NAME.yaml}), listed from the resources
 * themselves so help texts and messages never drift from what is bundled.
 */
final class BundledConfigs {

  private static final String SUFFIX = ".yaml";

  private BundledConfigs() {}

  /** The bundled config names, sorted, without {@code .yaml}. */
  static List<String> names() {
    URL dir = ConfigLoader.class.getClassLoader().getResource(ConfigLoader.RESOURCE_DIR);
    if (dir == null) {
      return List.of();
    }
    List<String> names = new ArrayList<>();
    try {
      if ("jar".equals(dir.getProtocol())) {
        JarURLConnection connection = (JarURLConnection) dir.openConnection();
        // A private copy: closing the shared, cached one would break later resource reads.
        connection.setUseCaches(false);
        try (JarFile jar = connection.getJarFile()) {
          for (JarEntry e : Collections.list(jar.entries())) {
            String n = e.getName();
            if (n.startsWith(ConfigLoader.RESOURCE_DIR)
                && n.endsWith(SUFFIX)
                && n.indexOf('/', ConfigLoader.RESOURCE_DIR.length()) < 0) {
              names.add(n.substring(ConfigLoader.RESOURCE_DIR.length(), n.length() - 5));
            }
          }
        }
      } else {
        try (Stream<Path> s = Files.list(Path.of(dir.toURI()))) {
          s.map(p -> p.getFileName().toString())
              .filter(n -> n.endsWith(SUFFIX))
              .forEach(n -> names.add(n.substring(0, n.length() - SUFFIX.length())));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(dir + " is not a valid URI", e);
    }
    Collections.sort(names);
    return List.copyOf(names);
  }

  /**
   * The YAML text of a bundled config.
   *
   * @param name a bundled name, with or without {@code .yaml}
   * @return the text, or empty when no config of that name is bundled
   */
  static Optional<String> text(String name) throws IOException {
    String file = name.endsWith(SUFFIX) ? name : name + SUFFIX;
    try (InputStream in =
        ConfigLoader.class.getClassLoader().getResourceAsStream(ConfigLoader.RESOURCE_DIR + file)) {
      return in == null
          ? Optional.empty()
          : Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }
}
