package dev.gatehouse.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * {@code gatehouse-bom} has no parent (so it carries no third-party versions into an importing
 * project); these checks keep it in step with the reactor: the same version as the parent, and an
 * entry for every published module (a module that builds a sources jar).
 */
class BomCoversPublishedModulesTest {
  private static final Path ROOT = Path.of(System.getProperty("gatehouse.root", "../.."));

  @Test
  void bomVersion_equalsParentVersion() throws Exception {
    Document parent = read(ROOT.resolve("pom.xml"));
    Document bom = read(ROOT.resolve("bom/pom.xml"));
    assertEquals(
        child(parent.getDocumentElement(), "version"), child(bom.getDocumentElement(), "version"));
  }

  @Test
  void bom_listsEveryPublishedModule_andNothingElse() throws Exception {
    Document parent = read(ROOT.resolve("pom.xml"));
    Set<String> published = new TreeSet<>();
    for (String module : texts(parent.getDocumentElement(), "modules", "module")) {
      if (module.equals("bom")) {
        continue;
      }
      Path pom = ROOT.resolve(module).resolve("pom.xml");
      assertTrue(Files.isRegularFile(pom), pom::toString);
      Document d = read(pom);
      if (!"true".equals(property(d, "maven.source.skip"))
          && !"pom".equals(child(d.getDocumentElement(), "packaging"))) {
        published.add(child(d.getDocumentElement(), "artifactId"));
      }
    }
    assertTrue(published.contains("gatehouse-core"), published::toString);

    Document bom = read(ROOT.resolve("bom/pom.xml"));
    Set<String> managed = new TreeSet<>();
    Element management = first(bom.getDocumentElement(), "dependencyManagement");
    for (Element dependency : children(first(management, "dependencies"), "dependency")) {
      managed.add(child(dependency, "artifactId"));
    }
    assertEquals(published, managed);
  }

  private static Document read(Path pom) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    f.setNamespaceAware(false);
    return f.newDocumentBuilder().parse(pom.toFile());
  }

  private static String property(Document d, String name) {
    Element properties = first(d.getDocumentElement(), "properties");
    return properties == null ? null : child(properties, name);
  }

  private static List<String> texts(Element e, String list, String item) {
    List<String> out = new ArrayList<>();
    Element l = first(e, list);
    if (l != null) {
      children(l, item).forEach(i -> out.add(i.getTextContent().trim()));
    }
    return out;
  }

  private static String child(Element e, String name) {
    Element c = first(e, name);
    return c == null ? null : c.getTextContent().trim();
  }

  private static Element first(Element e, String name) {
    List<Element> c = children(e, name);
    return c.isEmpty() ? null : c.get(0);
  }

  private static List<Element> children(Element e, String name) {
    List<Element> out = new ArrayList<>();
    NodeList nodes = e.getChildNodes();
    for (int i = 0; i < nodes.getLength(); i++) {
      Node n = nodes.item(i);
      if (n instanceof Element element && element.getNodeName().equals(name)) {
        out.add(element);
      }
    }
    return out;
  }
}
