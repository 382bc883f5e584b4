<map version="1.0.1">
<!-- To view this file, download free mind mapping software FreeMind from http://freemind.sourceforge.net -->
<node CREATED="1700000000000" ID="ID_1040582416" MODIFIED="1700000300000" TEXT="No internet">
<richcontent TYPE="NOTE"><html>
  <head>

  </head>
  <body>
    <p>
      Ask the customer whether the
      box lights are on.
    </p>
  </body>
</html>
</richcontent>
<node CREATED="1700000010000" ID="ID_1887040915" MODIFIED="1700000010000" POSITION="right" TEXT="Lights off">
<node CREATED="1700000020000" ID="ID_402394112" MODIFIED="1700000020000" TEXT="Plug it in &amp; press &quot;power&quot;"/>
</node>
<node CREATED="1700000030000" ID="ID_1130213374" MODIFIED="1700000030000" POSITION="left" TEXT="Lights on">
<icon BUILTIN="help"/>
<node CREATED="1700000040000" ID="ID_1730955044" MODIFIED="1700000040000" TEXT="Wi-Fi only">
<node CREATED="1700000050000" ID="ID_1524447337" MODIFIED="1700000050000" TEXT="Restart the Wi-Fi"/>
</node>
<node CREATED="1700000060000" ID="ID_866281442" MODIFIED="1700000060000" TEXT="Every device">
<font BOLD="true" NAME="SansSerif" SIZE="12"/>
<node CREATED="1700000070000" ID="ID_1960212345" MODIFIED="1700000070000" TEXT="Escalate to level 2"/>
</node>
</node>
</node>
</map>
