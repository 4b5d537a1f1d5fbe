package dev.tokenlearner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/** The module graph in docs/modules.md is the one the poms declare, and it has no cycle. */
class ModuleGraphTest {

  /** The source tree, from this module's folder (where the build runs its tests). */
  private static final Path ROOT = Path.of("..");

  private static final String PREFIX = "tokenlearner-";

  /** Each module's compile-scope dependencies on other modules, from its pom. */
  static Map<String, Set<String>> fromPoms() throws Exception {
    Map<String, Set<String>> graph = new LinkedHashMap<>();
    for (String module : modules()) {
      var factory = DocumentBuilderFactory.newInstance();
      factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      var doc =
          factory.newDocumentBuilder().parse(ROOT.resolve(module).resolve("pom.xml").toFile());
      Set<String> deps = new TreeSet<>();
      NodeList list = doc.getElementsByTagName("dependency");
      for (int i = 0; i < list.getLength(); i++) {
        Element d = (Element) list.item(i);
        if (!"dependencies".equals(d.getParentNode().getNodeName())
            || !"project".equals(d.getParentNode().getParentNode().getNodeName())) {
          continue; // dependencyManagement or a plugin's dependencies
        }
        String artifact = text(d, "artifactId");
        String scope = text(d, "scope");
        if (artifact.startsWith(PREFIX) && (scope.isEmpty() || scope.equals("compile"))) {
          deps.add(artifact.substring(PREFIX.length()));
        }
      }
      graph.put(module, deps);
    }
    return graph;
  }

  /** The modules the parent pom lists, without the BOM. */
  static List<String> modules() throws IOException {
    String pom = Files.readString(ROOT.resolve("pom.xml"), StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>();
    Matcher m = Pattern.compile("<module>([^<]+)</module>").matcher(pom);
    while (m.find()) {
      if (!m.group(1).equals("bom")) {
        out.add(m.group(1));
      }
    }
    return out;
  }

  /** The list between the module-graph markers of docs/modules.md. */
  static Map<String, Set<String>> fromDocs() throws IOException {
    String doc = Files.readString(ROOT.resolve("docs/modules.md"), StandardCharsets.UTF_8);
    String list =
        doc.substring(
            doc.indexOf("<!-- module-graph: begin -->"), doc.indexOf("<!-- module-graph: end -->"));
    Map<String, Set<String>> graph = new LinkedHashMap<>();
    Matcher line = Pattern.compile("(?m)^- `([a-z]+)` →(.*)$").matcher(list);
    while (line.find()) {
      Set<String> deps = new TreeSet<>();
      Matcher dep = Pattern.compile("`([a-z]+)`").matcher(line.group(2));
      while (dep.find()) {
        deps.add(dep.group(1));
      }
      graph.put(line.group(1), deps);
    }
    return graph;
  }

  private static String text(Element e, String tag) {
    for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n.getNodeName().equals(tag)) {
        return n.getTextContent().trim();
      }
    }
    return "";
  }

  /** Modules reachable from {@code start} (itself excluded unless on a cycle). */
  private static Set<String> reachable(Map<String, Set<String>> graph, String start) {
    Set<String> seen = new HashSet<>();
    List<String> todo = new ArrayList<>(graph.getOrDefault(start, Set.of()));
    while (!todo.isEmpty()) {
      String m = todo.remove(todo.size() - 1);
      if (seen.add(m)) {
        todo.addAll(graph.getOrDefault(m, Set.of()));
      }
    }
    return seen;
  }

  @Test
  void documentedGraph_equalsThePoms() throws Exception {
    assertEquals(fromPoms(), fromDocs());
  }

  @Test
  void documentedGraph_coversEveryModuleInBuildOrder() throws Exception {
    assertEquals(modules(), new ArrayList<>(fromDocs().keySet()));
  }

  @Test
  void graph_isAcyclic() throws Exception {
    Map<String, Set<String>> graph = fromPoms();
    for (String m : graph.keySet()) {
      assertFalse(reachable(graph, m).contains(m), m + " depends on itself");
    }
  }

  @Test
  void trainAndExport_areSiblings_andCoreAndCheckpointNeedNoTensorFlowModule() throws Exception {
    Map<String, Set<String>> graph = fromPoms();
    assertFalse(reachable(graph, "train").contains("export"), "train reaches export");
    assertFalse(reachable(graph, "export").contains("train"), "export reaches train");
    assertTrue(reachable(graph, "cli").containsAll(Set.of("train", "export")));
    assertEquals(Set.of("core"), reachable(graph, "checkpoint"));
    assertEquals(Set.of("core"), reachable(graph, "config"));
    assertEquals(Set.of(), reachable(graph, "core"));
  }
}
