"""Concepts a customer's words point at, as accent-folded regular expressions.

A linear model over n-grams sees "dejar de recibir alertas" and "recibir alertas" as nearly the same
message; one flag for "stop/unsubscribe" words, one for "no electricity" phrasings and so on gives it the
distinction a person makes at a glance, with words that never occurred in the training data. Each flag
is 1 when its expression matches the folded text (lower case, accents removed). Written from the
utility's vocabulary, not from the training examples; keep them general when you add one.
"""
from __future__ import annotations

import re
from typing import Dict, Iterable, List, Pattern

import numpy as np
import numpy.typing as npt

from bot.text import fold

CONCEPTS: Dict[str, str] = {
 "stop": r"\b(no (quiero|kiero|deseo) (los |las |mas )?(avisos|alertas|notificaciones|mensajes)|dejar? de|deje[n]? de|no (quiero|deseo|me|necesito) (recibir|mas|que me|lleguen|manden|envien|notifiquen|escriban)|no me (manden|envien|notifiquen|escriban|lleguen|molesten)|cancel\w* (los|las|mis|la|el|suscrip)\w*|desactiv\w*|desuscrib\w*|desinscrib\w*|dar(me)? de baja|darme de baja|de baja|silenci\w*|apag\w* (las|los|la|el) (notif|alert|aviso|mensaj)|deten\w*|detener|anula\w*|quit\w* (las|los|la|el|de)|sac\w*me de|elimin\w*|borr\w*me|unsu?bscribe|unsuscribe|stop|ya no (quiero|me|mand|envi)|no mas (mensajes|sms|alertas|avisos|notificaciones|correos)|basta de|suficiente de|cancel\w* mi|quit\w*(me|nos|en)\b|sac\w*(me|nos)? de|paren|parar|suspend\w* (el envio|las|los|mis)|sal(ir|irme|gan) de (la lista|las|los|mis)|retir\w*(me)? de|no me interesa)\b",
 "start": r"\b((?<!no )(quiero|kiero|quisiera|deseo|me gustaria) (recibir )?(los |las )?(avisos|alertas|notificaciones)|activ\w*|suscrib\w*|inscrib\w*|alta|prend\w*|reactiv\w*|volver a recibir|quiero (recibir|que me (avisen|lleguen|notifiquen|manden|envien))|avis(a|e)(me|nme|n)|notifiquen(me)?|alert(a|e)me|agrega\w*|anot\w*me|incluir?me|mantenerme informad\w*|recordar(me)?|recuerd\w*me)\b",
 "alerts": r"\b(alertas?|avisos?|notificacion\w*|notificar|recordatorios?|mensajes? de (texto|aviso)|sms|suscripcion\w*)\b",
 "domain": r"(luz|energ|electric|corriente|factur|recibo|boleta|cuenta|planilla|medidor|contador|kwh|kw\b|kilowat|kilovat|suministro|servicio|corte|apagon|tension|voltaje|poste|cable|transformador|tarifa|pag|deud|saldo|reclam|queja|ticket|radicado|caso|solar|panel|oficina|sucursal|asesor|agente|humano|persona|alerta|aviso|notific|correo|mail|telefono|celular|titular|conexion|reconex|lectura|consumo|bombill|foco|ahorr|apag|prend|luces|breaker|taco|fusible|chispa|fuego|incendio|humo)",
 "money_owed": r"\b(cuanto|cuánto|saldo|deb[oe]\w*|deuda|adeud\w*|monto|importe|valor|total|vence|vencimiento|fecha (limite|de pago)|estado de cuenta|pendiente|al dia|mora)\b",
 "where_how_pay": r"\b(donde|como|d?nd|canales?|medios?|formas?|puntos?|lugares?|link|enlace|pse|nequi|yape|transferencia|tarjeta|banco|online|en linea|app|debito automatico|domicili\w*)\b",
 "installments": r"\b(cuotas?|plazos?|partes|convenio|acuerdo|arreglo|financi\w*|fraccion\w*|diferir|difer\w*|postergar|aplazar|prorroga|extender|extension|mas tiempo|esperar\w*|esperen(me)?|abonos?|refinanci\w*|repact\w*|negociar|facilidad\w*|dividir|mitad|no (puedo|alcanzo|llego|tengo para) (pagar|con)|sin (trabajo|plata|dinero)|problemas economicos)\b",
 "paid": r"\b(ya (pague|pg|cancele|aboné|abone|transferi|deposite|consigne|hice el pago|realice el pago)|pague|pagué|cancele|consigne|consignacion|transferi|comprobante|captura|voucher|ticket de pago|recibo de pago|pago realizado|hice el pago|realice el pago|ya pag\w*)\b",
 "high": r"\b(alt[oa]s?|car[oa]s?|exager\w*|excesiv\w*|elevad\w*|inflad\w*|absurd\w*|desorbitad\w*|disparad\w*|por las nubes|mucho|demasiado|doble|triple|duplic\w*|subio|aumento|increment\w*|injust\w*|no (consumi|gaste|use)|inusual|raro|estimad\w*|promedi\w*)\b",
 "copy": r"\b(copia|duplicado|pdf|descarg\w*|imprim\w*|segunda via|reenvi\w*|mandame|enviame|pasame|no (me )?(ha )?llego|no lleg\w*|perdi|extravie|ver (mi|la) (factura|boleta|recibo|cuenta))\b",
 "no_power": r"\b(sin (luz|energia|corriente|servicio|electricidad)|se (fue|corto|cayo|apago) la (luz|energia|corriente)|no (hay|tengo|tenemos|llega) (luz|energia|corriente|electricidad)|apagon|se fue la luz|nos quedamos sin|me quede sin|oscur\w*|a oscuras|corte de (luz|energia)|falla (electrica|de energia))\b",
 "when_back": r"\b(cuando (vuelve|regresa|llega|restablec\w*|repon\w*|conect\w*|arregl\w*|vuelven|viene)|hora (estimada|aproximada)|tiempo estimado|cuanto (falta|tarda|demora|dura)|cuantas horas|novedad\w*|ya (viene|vienen|arreglaron|estan|esta el tecnico)|se sabe algo|restablec\w*|reposicion|estado del corte|que paso)\b",
 "planned": r"\b(programad\w*|mantenimiento|obras?|trabajos|previst\w*|planead\w*|poda|suspensiones? programad\w*|van a (cortar|suspender|quitar)|cortes? (de|por) (mantenimiento|trabajos|obras)|proxim\w* (corte|dias|semana)|esta semana|manana|calendario|cronograma)\b",
 "hazard": r"\b(expuest\w*|al descubierto|cables? pelad\w*|conductor(es)? electric\w*|cable\w*|poste\w*|fuego|incendi\w*|humo|chispa\w*|chispe\w*|explot\w*|explosion|electrocut\w*|descarga|corrientazo|quem\w*|arde|llamas?|caido|cayo|colgando|suelto|peligro\w*|riesgo|emergencia|transformador (exploto|echando|bota)|olor a quemado)\b",
 "quality": r"\b(parpade\w*|intermitent\w*|baj\w* (de )?(tension|voltaje)|sube y baja|altibajos?|fluctu\w*|variacion\w*|picos?|sobrevoltaje|sobretension|voltaje|tension|debil|tenue\w*|va y viene|se va y vuelve|media luz|titil\w*|quem\w* (la|el|mi|los|las) (nevera|tele|televisor|computador|electrodomestic\w*|aparato\w*)|danad\w*|danaron|electrodomestic\w*)\b",
 "complaint": r"\b(queja\w*|reclam\w*|denunci\w*|impugn\w*|inconform\w*|apel\w*|pqr\w*|superintendencia|defensa del consumidor|profeco|indecopi|sernac|libro de reclamaciones|indemniz\w*|compensacion)\b",
 "status": r"\b(estado|como va|como van|en que va|en que van|mis (reclamos|quejas|casos|solicitudes)|seguimiento|avance|respuesta|respondieron|resolvieron|novedad\w*|ya (aprobaron|resolvieron|respondieron|revisaron)|radicado|ticket|caso|numero de (caso|reclamo|queja))\b",
 "ticket": r"\b(rc|av|em|cs|sl)-?\d{5,7}\b",
 "new_conn": r"\b(nuevo (servicio|suministro|medidor)|nueva (conexion|acometida|instalacion)|conexion nueva|instal\w* (el|la|un|una) (medidor|luz|servicio)|acometida|empalme|factibilidad|contratar|solicitar (el )?servicio|por primera vez|lote|construi|construccion|obra nueva|casa nueva|no tiene (luz|medidor|servicio)|nunca tuvo|llevar la luz|poner (la )?luz|independiz\w*)\b",
 "owner": r"\b(titular\w*|a (mi )?nombre|cambi\w* (de )?(nombre|titular|dueno|propietario)|traspas\w*|nuevo dueno|propietari\w*|dueno|compre (la|una|el) (casa|departamento|apartamento|local)|vend\w* (la|mi) casa|fallec\w*|murio|sucesion|herencia|escritura)\b",
 "reading": r"\b(lectura|marca|dice|indica|muestra|reporto|reportar|anot\w*|foto del medidor|el medidor (marca|dice|indica|esta en|muestra)|numeros? del medidor|autolectura)\b",
 "number": r"\d{3,}",
 "reconnect": r"\b(reconex\w*|reconect\w*|reinstal\w*|restablec\w*|me cortaron|cortaron (la|el)|suspendid\w*|suspendieron|por falta de pago|por no pagar|corte por (deuda|mora|falta))\b",
 "contact": r"\b(actualiz\w*|cambi\w*|modific\w*|correg\w*|nuevo|nueva|registrar|editar|agregar) (mi |el |la |de |mis )?(datos|numero|telefono|celular|correo|email|mail|direccion|contacto|perfil)\b",
 "email": r"[\w.+-]+@[\w-]+(\.[\w-]+)+",
 "ebill": r"\b(factura (electronica|digital|virtual)|e-?factura|boleta (electronica|digital)|recibo (digital|electronico|virtual)|por (correo|email|mail)|sin papel|dejar de recibir (en )?papel|al correo|en (mi|el) (correo|email)|digital|electronic\w*)\b",
 "solar": r"\b(solar\w*|paneles?|placas?|fotovoltaic\w*|autoconsumo|autogenera\w*|prosumidor\w*|excedentes?|inyect\w*|export\w*|vend\w* (energia|a la red)|medicion neta|net ?metering|balance neto|bidireccional|doble sentido|generacion distribuida|on ?grid|creditos? (de energia)?|compensacion)\b",
 "office": r"\b(puntos? de atencion|atencion presencial|centro de servicio|oficina\w*|sucursal\w*|sede\w*|agencia\w*|centro de atencion|horario\w*|abren|cierran|atienden|direccion de (la|las) oficina|presencial\w*|en persona|donde (quedan|estan|queda|esta)|telefono de (atencion|ustedes)|linea de atencion|sabado|domingo)\b",
 "tariff": r"\b(tarifa\w*|precio|cuanto (cuesta|vale|sale|cobran) (el|cada|un) (kw|kwh|kilo)\w*|valor del (kw|kwh|kilo)\w*|cargo fijo|estrato|subsidio|costo (de la|del) (energia|kw|kwh|luz)|pliego|aumento de (la )?(luz|tarifa)|va a subir)\b",
 "saving": r"\b(ahorr\w*|reduc\w*|baj\w* (el|mi|la) (consumo|gasto|factura|cuenta)|consej\w*|tips?|recomendacion\w*|gastar menos|consumir menos|eficien\w*|led|ahorradores?|standby|stand by|desenchuf\w*|vampiro)\b",
 "history": r"\b(cuanto (ha )?(subio|bajo|aumento|cambio|vario) (el|mi) consumo|historial|historico|consumo de (los )?(ultimos|meses|este ano|el ano)|ultimos (\w+ )?meses|mes a mes|grafic\w*|evolucion|comparar?|compara|cuanto (he )?consumi\w*|cuanto (he )?gastado|cuantos kwh|kwh (de|del|por) mes)\b",
 "agent": r"\b(asesor\w*|agente\w*|humano\w*|persona\w*|operador\w*|ejecutiv\w*|alguien (real|de verdad)|hablar con|comunicar\w* con|representante)\b",
 "bot": r"\b(robot|bot|maquina|ia|inteligencia artificial|chatbot|programa|automatico|eres (real|humano|una persona|de verdad)|con quien hablo|quien (me )?(responde|escribe|habla)|existis|existes)\b",
 "help": r"\b(ayuda|menu|opciones|que (puedes|podes|sabes) hacer|para que sirves|como funciona|comandos|inicio|estoy perdid\w*|me perdi|que se puede)\b",
 "greet": r"^\W*(hola|holi|buen[oa]s?( (dias|tardes|noches))?|saludos|hey|ey|hi|hello|que tal|quiubo\w*|wena\w*|epa|alo|al[oó])\b",
 "bye": r"\b(chao|chau|adios|hasta (luego|pronto|manana|la vista)|nos vemos|bye|bai|bay|me voy|me retiro|cuidate|se cuida|que te vaya bien|terminar|salir|cerrar)\b",
 "thanks": r"\b(gracias|grax|thx|ty|thanks|agradec\w*|muy amable|dios (le|te) pague|mil gracias|te pasaste|genial)\b",
 "yes": r"^\W*(si+|sip|sep|claro|dale|ok|okay|okey|vale|listo|de una|de acuerdo|correcto|exacto|afirmativo|por supuesto|obvio|sale|va|orale|ya po|eso es|asi es|en efecto|sin duda|confirmo|perfecto|bueno)\b",
 "no": r"^\W*(no+|nop|nel|nah|negativo|para nada|nunca|jamas|tampoco|ni hablar|incorrecto|mejor no|ninguno|nada)\b",
 "emoji_yes": "[\u2705\U0001F44C\U0001F44D]",
 "emoji_no": "[\u274C\U0001F44E]",
 "short": r"^\W*\w{1,8}\W*$",
 # Businesses and services that are not the electricity utility (out_of_scope when they are the subject).
 "other_service": r"\b(agua|acueducto|alcantarillado|gas|cilindro|balon de gas|pipa|internet|wi-?fi|fibra|decodificador|datos moviles|plan (de )?(celular|postpago|prepago)|senal (de|del) (celular|telefono|cable|tv)|canales|movistar|entel|telcel|vodafone|directv|netflix|spotify|youtube|facebook|instagram|whatsapp web|cajero|prestamo|mercado pago|soat|pasaporte|visa americana|reciclaje|rappi|uber|taxi|vuelo|bus|metro|plomero|gasfitero|cerrajero|mecanico|abogado)\b",
 # General knowledge, entertainment and everyday life questions.
 "chitchat": r"\b(que tiempo (hace|hara|va a hacer)|presidente|gobierno|elecciones|politic\w*|quien (gano|fue|es|invento|descubrio|escribio|pinto|canta)|cuanto es \d|\d+ ?[+x*] ?\d+|ecuacion|tarea|traduc\w*|como se dice|en ingles|clima|temperatura|grados|pronostico|partido de (futbol|hoy)|futbol|liga|goles?|selecci\w*|clasico|juega|receta|preparar|chiste|cuento|poema|cancion|musica|pelicula|horoscopo|euro|bitcoin|feriado|vacaciones|novi[oa]|pareja|edad|cuantos anos tienes|favorit[oa]|te gusta|aburrid\w*|aburro|triste|hambre|cenar|fiesta|python|java\w*|excel|computadora esta|celular barato|iphone|planeta|historia|universidad|empleo|vacantes)\b",
 # Laughter, keyboard mashing and emoji-only noise.
 "noise": r"(\b(ja|je|ji|js|ks|jk|kk|sk){2,}\w{0,2}\b|\b(xd+|lol|asd\w*|qwe\w*|mm+|hm+)\b|[\U0001F602\U0001F923])",
 # Remarks aimed at the assistant as a person (flirting, feelings): small talk, not a robot question. Not insults:
 # an angry customer with a real problem swears too.
 "personal": r"\b(eres|estas|sos|tienes|tenes) (linda|bonita|fea|feliz|triste|novio|hijos|tont[oa])|\b(te quiero|te amo)\b",
 # Dates and times given as an answer.
 "when": r"\b(ayer|anteayer|anoche|hoy|manana|pasado manana|lunes|martes|jueves|viernes|sabado|domingo|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre|(proxim[oa]|pasad[oa]|est[ea]|la otra|el otro) (semana|mes|lunes|martes|miercoles|jueves|viernes|sabado|domingo)|hace (un|una|unos|unas|\d+) \w+|mediodia|madrugada|(por|en) la (manana|tarde|noche)|a las? \d+|\d{1,2}[/:-]\d{2})\b",
 # Places and addresses given as an answer.
 "place": r"\b(calle|carrera|cra|cll|cl|av|avda|avenida|pasaje|psje|jiron|jr|mz|manzana|lote|lt|urb|urbanizacion|barrio|colonia|col|comuna|vereda|corregimiento|municipio|distrito|canton|provincia|parroquia|piso|depto|departamento|apartamento|apto|dpto|edificio|torre|bloque|conjunto|esquina|frente a|cerca de|al lado de|parte baja|#\s*\d+|n[o°]\.? ?\d+)\b",
 # A person's name given as an answer.
 "name": r"\b(mi nombre es|se llama|soy (el|la) (titular|duen[oa]|propietari[oa])|a nombre de|la titular es)\b",
 # Wanting to talk to a person (a request) rather than asking what the assistant is.
 "want_human": r"\b(quiero|necesito|prefiero|pasame|pasen(me)?|comuniq\w*|transfier\w*|derive?n?(me)?|comunicarme|hablar|atencion) (con )?(una? )?(persona|humano|asesor|agente|operador|ejecutiv\w*)|atencion (humana|personalizada|al cliente)\b",
 "are_you": r"\b(eres|sos|es usted|usted es|estoy (hablando|chateando|escribiendo)|hablo|estamos hablando|hay (alguien|una persona|un humano)|alguien (real|de verdad)|quien (me )?(responde|contesta|escribe|esta del otro lado)|contestas|carne y hueso|(es|eres|sos) (real|de verdad)|(persona|alguien|humano) (real|de verdad))\b",
 # Ongoing delivery of the bill through a channel (e-bill) rather than one copy.
 "ongoing": r"\b(cada mes|mensual\w*|todos los meses|de ahora en adelante|en adelante|a partir de (ahora|hoy|este mes)|desde ahora|siempre|ya no (me )?(traigan|manden|envien|impriman|dejen|llegue)|impres[ao]s?|papel|ecologic\w*|e-?(boleta|recibo|factura)|whatsapp|suscrib\w* (a )?(la )?(factura|boleta|recibo))\b",
 # Paying over time, later or in part.
 "pay_later": r"\b(plan de pagos?|mensualidades|parcial\w*|por partes|el resto|lo que falta|semanal\w*|quincena\w*|sueldo|aguinaldo|cuando (cobre|me paguen|me pagan)|me pagan|ayuda para pagar|(correr|mover|cambiar|ampliar|extender|aplazar|postergar) (la |el )?(fecha|vencimiento|plazo)|en vez del?|dias mas|no me alcanza|poco a poco|de a poco)\b",
 # Asking for news about an ongoing interruption.
 "outage_news": r"\b(hasta cuando|cuanto tiempo|va para largo|para cuando|a que hora (vuelve|regresa|llega|viene)|actualizacion|actualizad\w*|reponen|que (fue lo que )?paso|tecnic\w*|cuadrilla|brigada|ya vienen|siguen sin|seguimos sin|todavia (no|sin)|aun (no|sin)|nada todavia|dijeron que|demor\w*|tarda\w*)\b",
 # Asking to be told about something in the future.
 "tell_me": r"\b(avisar(me|nos)?|avis\w*(me|nos)|notificar(me|nos)|notifiqu\w*|mandar(me|nos)|enviar(me|nos)|escribir(me|nos)|escriban(me|nos)?|me escriban|me manden|me envien|me avisen|me notifiquen|agreg\w*(me|nos)|cuando haya|si (van a|hay)|con anticipacion|antes de que)\b",
 # Quality of the supply rather than its absence.
 "quality2": r"\b(intermiten\w*|sobre\w* (de )?(tension|voltaje)|pico\w* de (tension|voltaje|luz)|quem\w*|opac\w*|fase|voltios|\d+ ?v\b|a ratos|cada rato|se (va|corta) y (vuelve|regresa)|focos? (parpade|brilla|baja)\w*)\b",
 # Asking about something already filed.
 "status2": r"\b(en que (punto|paso|etapa|quedo)|que (paso|pasa) con (mi|el|la)|sin respuesta|no (me )?han (respondido|contestado|dicho)|ya (fue|fueron|esta|lo|la) (atendid\w*|resuelt\w*|recibieron|vieron|revisaron)|alguna novedad|que (ha )?paso con|presente|puse|hice|mande|radique|ingrese|abri)\b",
 # Using less electricity / what appliances use.
 "saving2": r"\b((que|como) (hago|puedo hacer|le hago) (para|pa) (que )?(no )?(me )?(salga|llegue|venga|pague|gaste|consuma|baje)|gast\w* menos|consum\w* menos|cuanto (gasta|consume|chupa)|(que|cuales?) (aparatos?|electrodomestic\w*|equipos?) (gastan?|consumen?)|consumen mas|conviene (apagar|desconectar|dejar|usar)|apagar el|aprovechar|bombillos?|calentador|termo|aire acondicionado|nevera|refri\w*|lavadora|plancha)\b",
 # Small talk closings and wishes at the end of a conversation.
 "bye2": r"\b(feliz (dia|tarde|noche|fin)|buen (fin de semana|finde|resto)|que (te|le|les) vaya|que (descanse\w*|(tenga|pase)\w* (un |una )?(buen|buena|lindo|linda|feliz))|me despido|te dejo|los dejo|tengo que (irme|colgar|salir)|cierro|hablamos|luego te escribo|ahi nos vidrios|nos hablamos|hasta (la proxima|otra|mas tarde)|chaito|bye)\b",
 # Help wanted with the assistant itself.
 "help2": r"\b(ayudita|ayudame|ayudeme|funciones|funcionas|guia|instrucciones|como (te|lo) uso|que (hago|puedo hacer) (aca|aqui)|orient\w*|no se (por donde|que hacer|como)|para que sirve|que ofreces|volver (al )?(menu|inicio|atras)|atras|empezar)\b",
 # Further affirmations across regions.
 "yes2": r"^\W*(ok+|okis|de (una|ley|one)|clarinete|tal cual|totalmente|proced\w*|adelante|hagale|hagamosle|me parece|esta bien|simon|arre|sale y vale|ajam?|aja|seguro|obvio|cierto|bien|si senor\w*|si po|sip|yes|yeah)\b",
}

COMPILED: List[Pattern[str]] = [re.compile(expression) for expression in CONCEPTS.values()]
PATTERNS: Dict[str, Pattern[str]] = dict(zip(CONCEPTS, COMPILED, strict=False))  # by name, for code that needs one concept


def concept_flags(texts: Iterable[str]) -> npt.NDArray[np.float64]:
    """One row per text, one 0/1 column per concept (in CONCEPTS order)."""
    folded = [fold(text) for text in texts]
    return np.array([[1.0 if pattern.search(text) else 0.0 for pattern in COMPILED] for text in folded])
